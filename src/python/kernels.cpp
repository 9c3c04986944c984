// relpos._relpos.lookup / weight_gradient: the registered backends on memory
// the caller owns (numpy arrays, torch tensors on the host or a CUDA device),
// addressed by data pointer so bf16 and device tensors need no copy.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <utility>

#include <fmt/format.h>
#include <pybind11/stl.h>

#include "python/bindings.hpp"
#include "relpos/backends/registry.hpp"
#include "relpos/errors.hpp"
#include "relpos/presets.hpp"
#include "relpos/problem.hpp"

namespace relpos::python {
namespace {

// Caller memory: an address the Python layer took from a tensor or an array it keeps alive.
struct Memory {
  std::uintptr_t address = 0;
  std::vector<std::int64_t> shape;  ///< [B, N, N, c_z] (the Python layer adds the batch of an unbatched call)
};

// The backend for memory in `space`: the default host lookup, or the first
// registered lookup that writes device memory. Made once per (space, threads,
// stream): a device backend holds a context and streams.
const Backend& backend_for(MemorySpace space, int threads, void* stream) {
  static std::mutex mutex;
  static std::map<std::tuple<MemorySpace, int, void*>, std::unique_ptr<Backend>> made;
  const std::lock_guard lock(mutex);
  std::unique_ptr<Backend>& backend = made[{space, threads, stream}];
  BackendOptions options;
  options.threads = threads;
  options.cuda_stream = stream;
  if (!backend && space == MemorySpace::host) backend = make_backend(default_backend_name(), options);
  for (const BackendEntry& entry : registered_backends()) {
    if (backend) break;
    std::unique_ptr<Backend> candidate = entry.make(options);
    if (candidate->traits().role == BenchRole::lookup && candidate->native_space() == space)
      backend = std::move(candidate);
  }
  if (!backend) throw InputError("no registered backend writes into device memory");
  const Availability availability = backend->availability();
  if (!availability.available)
    throw InputError(fmt::format("the {} backend cannot run here: {}", backend->name(), availability.detail));
  return *backend;
}

void check_shape(const Memory& memory, const std::array<std::size_t, 4>& expected, std::string_view what) {
  const std::vector<std::int64_t> wanted(expected.begin(), expected.end());
  if (memory.shape != wanted)
    throw InputError(fmt::format("{} has shape [{}] but the problem needs [{}]", what, fmt::join(memory.shape, ", "),
                                 fmt::join(wanted, ", ")));
  if (memory.address == 0) throw InputError(fmt::format("{} has no memory (a null data pointer)", what));
}

OutputMode output_mode(const std::string& dtype, bool accumulate) {
  if (accumulate) {
    if (dtype != "float32") throw InputError(fmt::format("out must be float32 to accumulate into, not {}", dtype));
    return OutputMode::accumulate;
  }
  if (dtype == "float32") return OutputMode::write_fp32;
  if (dtype == "bfloat16") return OutputMode::write_bf16;
  throw InputError(fmt::format("out must be float32 or bfloat16, not {}", dtype));
}

// What one call computes from: the Python arguments as relpos's own types,
// owned here (Problem only refers to its layout and weights), and validated.
struct CallInputs {
  Config config;
  Layout layout;
  Weights weights;
  Problem problem() const { return Problem{config, layout, weights}; }
};

CallInputs call_inputs(const py::dict& ids, const py::object& periods, const FloatArrayIn& weight,
                       const py::tuple& config) {
  CallInputs inputs{config_from_python(config), layout_from_python(ids, periods), weights_from_python(weight)};
  validate(inputs.problem());
  return inputs;
}

void lookup(const py::dict& ids, const py::object& periods, const FloatArrayIn& weight, const py::tuple& config_in,
            const Memory& out, const std::string& dtype, bool accumulate, bool device_memory, std::uintptr_t stream,
            int threads) {
  const CallInputs inputs = call_inputs(ids, periods, weight, config_in);
  const Problem problem = inputs.problem();
  check_shape(out, problem.output_shape(), "out");
  const MemorySpace space = device_memory ? MemorySpace::device : MemorySpace::host;
  const PairOutput target{output_mode(dtype, accumulate), space, reinterpret_cast<void*>(out.address),
                          inputs.layout.batch(), inputs.layout.tokens(), inputs.config.c_z};
  const Backend& backend = backend_for(space, threads, reinterpret_cast<void*>(stream));
  const py::gil_scoped_release release;
  backend.run(problem, target);
}

void weight_gradient(const py::dict& ids, const py::object& periods, const FloatArrayIn& weight,
                     const py::tuple& config_in, const Memory& grad_output, std::uintptr_t grad_weight, int threads) {
  const CallInputs inputs = call_inputs(ids, periods, weight, config_in);
  const Problem problem = inputs.problem();
  check_shape(grad_output, problem.output_shape(), "grad_output");
  if (grad_weight == 0) throw InputError("grad_weight has no memory (a null data pointer)");
  const auto shape = problem.output_shape();
  const std::size_t g_size = shape[0] * shape[1] * shape[2] * shape[3];
  const std::size_t dw_size = static_cast<std::size_t>(inputs.config.c_z * inputs.config.feature_width());
  const Backend& backend = backend_for(MemorySpace::host, threads, nullptr);
  const py::gil_scoped_release release;
  backend.backward(problem, {reinterpret_cast<const float*>(grad_output.address), g_size},
                   {reinterpret_cast<float*>(grad_weight), dw_size});
}

py::list backends() {
  py::list result;
  for (const BackendEntry& entry : registered_backends()) {
    const std::unique_ptr<Backend> backend = entry.make({});
    const Availability availability = backend->availability();
    py::dict row;
    row["name"] = entry.name;
    row["summary"] = entry.summary;
    row["available"] = availability.available;
    row["detail"] = availability.detail;
    row["exact_order"] = backend->exact_order();
    row["has_backward"] = backend->has_backward();
    result.append(row);
  }
  return result;
}

py::list presets() {
  py::list result;
  for (const ModelPreset& preset : model_presets()) {
    py::list precisions;
    for (const Precision precision : preset.precisions) precisions.append(std::string(to_string(precision)));
    py::dict row;
    row["name"] = std::string(preset.name);
    row["description"] = std::string(preset.description);
    row["variant"] = std::string(to_string(preset.variant));
    row["cyclic"] = std::string(to_string(preset.cyclic));
    row["r_max"] = preset.r_max;
    row["s_max"] = preset.s_max;
    row["c_z"] = preset.c_z;
    row["precisions"] = precisions;
    result.append(row);
  }
  return result;
}

}  // namespace

void register_kernels(py::module_& m) {
  py::class_<Memory>(m, "Memory", "caller memory: (address, shape)")
      .def(py::init<std::uintptr_t, std::vector<std::int64_t>>(), py::arg("address"), py::arg("shape"));
  m.def("lookup", &lookup, py::arg("ids"), py::arg("periods"), py::arg("weight"), py::arg("config"), py::arg("out"),
        py::arg("dtype"), py::arg("accumulate"), py::arg("device_memory"), py::arg("stream"), py::arg("threads"),
        "Writes (or adds) the pair tensor into `out` with the default host lookup, or the device lookup for "
        "device memory.");
  m.def("weight_gradient", &weight_gradient, py::arg("ids"), py::arg("periods"), py::arg("weight"), py::arg("config"),
        py::arg("grad_output"), py::arg("grad_weight"), py::arg("threads"),
        "Writes dW [c_z, F] for float32 grad_output [B, N, N, c_z] (host memory) with the cpu backend.");
  m.def("backends", &backends, "Every registered backend: name, summary, availability, order, backward.");
  m.def("presets", &presets, "Every model preset (SPEC.md part 2).");
  m.def("feature_width", [](std::int32_t r_max, std::int32_t s_max) { return Config{r_max, s_max}.feature_width(); },
        py::arg("r_max"), py::arg("s_max"));
#ifdef RELPOS_HAVE_CUDA
  m.attr("cuda_built") = true;
#else
  m.attr("cuda_built") = false;
#endif
}

}  // namespace relpos::python
