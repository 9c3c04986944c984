#include "relpos/backends/registry.hpp"
#include "relpos/harness/implementation.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "relpos/errors.hpp"

namespace relpos::harness {
namespace {

std::string unavailable_reason(const Backend& backend) {
  const Availability availability = backend.availability();
  if (!availability.available) return fmt::format("{}: {}", backend.name(), availability.detail);
  if (!backend.accepts(MemorySpace::host))
    return fmt::format("{}: cannot write into host memory (the harness compares host buffers)", backend.name());
  return {};
}

GradientWriter backward_of(std::shared_ptr<const Backend> backend) {
  if (!backend->has_backward()) return {};
  return [backend](const Problem& p, std::span<const float> g, std::span<float> dw) { backend->backward(p, g, dw); };
}

}  // namespace

Config regime_of_write(const Problem& problem, OutputMode mode) {
  Config config = problem.config;
  if (mode == OutputMode::write_bf16 && config.precision == Precision::fp32) config.precision = Precision::bf16;
  return config;
}

void store_values(std::span<const float> values, const PairOutput& out) {
  if (static_cast<std::int64_t>(values.size()) != out.elements())
    throw InputError(fmt::format("{} values for an output of {} elements", values.size(), out.elements()));
  switch (out.mode) {
    case OutputMode::write_fp32: std::copy(values.begin(), values.end(), out.fp32()); return;
    case OutputMode::write_bf16:
      std::transform(values.begin(), values.end(), out.bf16(), [](float v) { return bf16_round(v); });
      return;
    case OutputMode::accumulate:
      std::transform(values.begin(), values.end(), out.fp32(), out.fp32(), [](float v, float z) { return z + v; });
      return;
  }
}

Policy gradient_policy_for(const Implementation& impl) {
  return impl.backward_exact_order ? Policy::bitwise() : Policy::any_order();
}

Implementation implementation(std::string name, RunFunction run, bool exact_order) {
  Implementation result;
  result.name = std::move(name);
  result.run = std::move(run);
  result.exact_order = exact_order;
  return result;
}

Implementation implementation(const Backend& backend) {
  Implementation result;
  result.name = std::string(backend.name());
  result.run = [&backend](const Problem& problem, const PairOutput& out) { backend.run(problem, out); };
  result.exact_order = backend.exact_order();
  result.unavailable = unavailable_reason(backend);
  result.backward = backward_writer(backend);
  result.backward_exact_order = backend.backward_exact_order();
  result.backward_deterministic = backend.backward_deterministic();
  return result;
}

Implementation backend_implementation(std::string_view name, const BackendOptions& options) {
  std::shared_ptr<const Backend> backend = make_backend(name, options);
  Implementation result;
  result.name = std::string(backend->name());
  result.run = [backend](const Problem& problem, const PairOutput& out) { backend->run(problem, out); };
  result.exact_order = backend->exact_order();
  result.unavailable = unavailable_reason(*backend);
  result.backward = backward_of(backend);
  result.backward_exact_order = backend->backward_exact_order();
  result.backward_deterministic = backend->backward_deterministic();
  // Variants are kept: creating a backend may be costly (a device context, streams).
  using Variants = std::map<std::pair<int, std::int64_t>, std::shared_ptr<const Backend>>;
  const auto variants = std::make_shared<Variants>();
  const auto variant_of = [name = std::string(name), options, variants](const BackendOptions& changes) {
    std::shared_ptr<const Backend>& variant = (*variants)[{changes.threads, changes.chunk_rows}];
    if (!variant) {
      BackendOptions merged = options;
      merged.threads = changes.threads;
      merged.chunk_rows = changes.chunk_rows;
      variant = make_backend(name, merged);
    }
    return std::shared_ptr<const Backend>(variant);
  };
  result.configure = [variant_of](const BackendOptions& changes) -> RunFunction {
    return [variant = variant_of(changes)](const Problem& problem, const PairOutput& out) { variant->run(problem, out); };
  };
  if (result.backward)
    result.configure_backward = [variant_of](const BackendOptions& changes) { return backward_of(variant_of(changes)); };
  return result;
}

}  // namespace relpos::harness
