// relpos._relpos.prove: a Python function as a harness Implementation. The C++
// harness generates, shrinks, covers and reports; each case calls back into
// Python in this thread (the GIL stays held: the function is Python anyway).
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <pybind11/stl.h>

#include "python/bindings.hpp"
#include "relpos/errors.hpp"
#include "relpos/harness/prove.hpp"
#include "relpos/harness/show.hpp"

namespace relpos::python {
namespace {

using namespace relpos::harness;

constexpr std::size_t kMaxErrorText = 2000;

// Calls the Python side. Its exceptions are findings (the property fails and
// shrinks) except an interrupt, which ends the run and is raised again after it.
class PythonCalls {
 public:
  template <class... Args>
  py::object call(const py::function& function, Args&&... args) {
    try {
      return function(std::forward<Args>(args)...);
    } catch (py::error_already_set& e) {
      if (e.matches(PyExc_KeyboardInterrupt) || e.matches(PyExc_SystemExit)) {
        interrupt_ = e;
        throw FatalError("interrupted");
      }
      std::string text = e.what();
      if (text.size() > kMaxErrorText) text = text.substr(0, kMaxErrorText) + " ...";
      throw std::runtime_error(fmt::format("fn raised {}", text));
    }
  }
  /// Raises the interrupt that ended the run, if one did.
  void reraise_interrupt() {
    if (interrupt_) throw *interrupt_;
  }

 private:
  std::optional<py::error_already_set> interrupt_;
};

std::span<const float> values_of(const py::object& result, const std::vector<std::int64_t>& expected,
                                 std::string_view what, FloatArrayIn& holder) {
  holder = result.cast<FloatArrayIn>();
  const std::vector<std::int64_t> shape(holder.shape(), holder.shape() + holder.ndim());
  if (shape != expected)
    throw std::runtime_error(fmt::format("fn returned {} of shape [{}] where the case needs [{}]", what,
                                         fmt::join(shape, ", "), fmt::join(expected, ", ")));
  return {holder.data(), static_cast<std::size_t>(holder.size())};
}

std::vector<std::int64_t> pair_shape(const Problem& problem) {
  const auto shape = problem.output_shape();
  std::vector<std::int64_t> result(shape.begin(), shape.end());
  if (!problem.layout.batched) result.erase(result.begin());
  return result;
}

Implementation python_implementation(const py::dict& settings, py::function run_case, py::object run_backward,
                                     std::shared_ptr<PythonCalls> calls) {
  Implementation impl = implementation(settings["name"].cast<std::string>(), {});
  impl.exact_order = settings["exact_order"].cast<bool>();
  impl.modes = OutputModes{.write_fp32 = true, .write_bf16 = settings["bf16_writes"].cast<bool>(), .accumulate = false};
  impl.run = [run_case, calls](const Problem& problem, const PairOutput& out) {
    const Config config = regime_of_write(problem, out.mode);
    const py::object result = calls->call(run_case, layout_to_python(problem.layout, config.cyclic == Cyclic::boltz),
                                          weights_to_python(problem.weights), config_to_python(config));
    FloatArrayIn holder;
    store_values(values_of(result, pair_shape(problem), "a pair tensor", holder), out);
  };
  if (!run_backward.is_none()) {
    py::function backward = run_backward;
    impl.backward = [backward, calls](const Problem& problem, std::span<const float> g, std::span<float> dw) {
      FloatArrayIn grad({static_cast<py::ssize_t>(g.size())});
      std::copy(g.begin(), g.end(), grad.mutable_data());
      const py::object shaped = grad.attr("reshape")(py::cast(pair_shape(problem)));
      // The backward is fp32 whatever the case's forward regime (SPEC.md part 2).
      Config config = problem.config;
      config.precision = Precision::fp32;
      const py::object result =
          calls->call(backward, layout_to_python(problem.layout, config.cyclic == Cyclic::boltz),
                      weights_to_python(problem.weights), config_to_python(config), shaped);
      FloatArrayIn holder;
      const std::span<const float> values =
          values_of(result, {problem.config.c_z, problem.config.feature_width()}, "a weight gradient", holder);
      std::copy(values.begin(), values.end(), dw.begin());
    };
  }
  return impl;
}

template <class T>
std::optional<T> optional_setting(const py::dict& settings, const char* key) {
  if (!settings.contains(key) || settings[key].is_none()) return std::nullopt;
  return settings[key].cast<T>();
}

Scope scope_from(const py::dict& settings) {
  Scope scope;
  if (const auto model = optional_setting<std::string>(settings, "model")) scope = preset_scope(*model);
  // The Python layer has checked that stated axes lie inside the model's.
  if (const auto values = optional_setting<std::vector<std::string>>(settings, "variants")) {
    scope.variants.clear();
    for (const std::string& v : *values) scope.variants.push_back(parse_variant(v));
  }
  if (const auto values = optional_setting<std::vector<std::string>>(settings, "cyclic")) {
    scope.cyclic.clear();
    for (const std::string& v : *values) scope.cyclic.push_back(parse_cyclic(v));
  }
  if (const auto values = optional_setting<std::vector<std::string>>(settings, "precisions")) {
    scope.precisions.clear();
    for (const std::string& v : *values) scope.precisions.push_back(parse_precision(v));
  }
  if (const auto value = optional_setting<std::int32_t>(settings, "r_max")) scope.r_max = value;
  if (const auto value = optional_setting<std::int32_t>(settings, "s_max")) scope.s_max = value;
  if (const auto value = optional_setting<std::int32_t>(settings, "c_z")) scope.c_z = value;
  validate(scope);
  return scope;
}

ProveOptions options_from(const py::dict& settings) {
  ProveOptions options;
  options.scope = scope_from(settings);
  if (const auto cases = optional_setting<int>(settings, "cases")) options.cases = *cases;
  if (const auto seed = optional_setting<std::uint64_t>(settings, "seed")) options.seed = *seed;
  if (const auto size = optional_setting<int>(settings, "max_size")) options.max_size = *size;
  if (const auto policy = optional_setting<std::string>(settings, "policy")) options.policy = Policy::parse(*policy);
  if (const auto names = optional_setting<std::vector<std::string>>(settings, "properties"))
    for (const std::string& name : *names) options.properties.push_back(parse_property(name));
  if (const auto shrink = optional_setting<bool>(settings, "shrink")) options.shrink = *shrink;
  if (settings.contains("environment") && settings["environment"].cast<bool>())
    options = options_from_environment(options);
  return options;
}

py::object counterexample_of(const Report& report) {
  const PropertyResult* failed = report.first_failure();
  if (failed == nullptr || !failed->counterexample) return py::none();
  const Counterexample& cx = *failed->counterexample;
  py::dict result;
  result["property"] = std::string(to_string(failed->property));
  result["tokens"] = cx.value.total_tokens();
  result["shrink_steps"] = cx.shrink_steps;
  result["text"] = describe(cx.value) + cx.report;
  result["feats"] = layout_to_python(cx.value.layout, cx.value.config.cyclic == Cyclic::boltz);
  result["weight"] = weights_to_python(cx.value.weights);
  result["config"] = config_to_python(cx.value.config);
  return result;
}

py::list results_of(const Report& report) {
  py::list rows;
  for (const PropertyResult& result : report.properties) {
    py::dict row;
    row["property"] = std::string(to_string(result.property));
    row["status"] = std::string(to_string(result.status));
    row["cases"] = result.cases;
    row["seconds"] = result.seconds;
    row["skip_reason"] = result.skip_reason;
    rows.append(row);
  }
  return rows;
}

}  // namespace

void register_harness(py::module_& m) {
  py::class_<Report>(m, "Report", "What a run of the property suite found (use relpos.Report's properties).")
      .def_property_readonly("passed", &Report::passed)
      .def_property_readonly("ran", &Report::ran)
      .def_property_readonly("cases", &Report::cases)
      .def_readonly("seconds", &Report::seconds)
      .def_readonly("implementation", &Report::implementation)
      .def_readonly("policy", &Report::policy)
      .def_readonly("unavailable", &Report::unavailable)
      .def_property_readonly("seed", [](const Report& r) { return r.options.seed; })
      .def_property_readonly("scope", [](const Report& r) { return r.options.scope.describe(); })
      .def_property_readonly("text", [](const Report& r) { return r.text(); })
      .def_property_readonly("failures", &Report::failures)
      .def_property_readonly("counterexample", &counterexample_of)
      .def_property_readonly("results", &results_of)
      .def("to_json", [](const Report& r) { return to_json(r).dump(2); });
  m.def(
      "prove",
      [](py::function run_case, py::object run_backward, const py::dict& settings) {
        const ProveOptions options = options_from(settings);
        const auto calls = std::make_shared<PythonCalls>();
        const Implementation impl = python_implementation(settings, std::move(run_case), run_backward, calls);
        try {
          return prove(impl, options);
        } catch (const FatalError&) {
          calls->reraise_interrupt();
          throw;
        }
      },
      py::arg("run_case"), py::arg("run_backward"), py::arg("settings"),
      "Runs the property suite on run_case(ids, weight, config) -> values (and run_backward(..., grad) -> dW).");
  m.def("properties", [] {
    std::vector<std::string> names;
    for (const Property property : all_properties()) names.emplace_back(to_string(property));
    return names;
  });
  m.attr("default_seed") = kDefaultSeed;
  m.attr("ci_cases") = kCiCases;
}

}  // namespace relpos::python
