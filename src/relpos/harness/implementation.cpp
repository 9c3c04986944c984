#include "relpos/backends/registry.hpp"
#include "relpos/harness/implementation.hpp"

#include <map>
#include <utility>

#include <fmt/format.h>

namespace relpos::harness {
namespace {

std::string unavailable_reason(const Backend& backend) {
  const Availability availability = backend.availability();
  if (!availability.available) return fmt::format("{}: {}", backend.name(), availability.detail);
  if (!backend.accepts(MemorySpace::host))
    return fmt::format("{}: cannot write into host memory (the harness compares host buffers)", backend.name());
  return {};
}

}  // namespace

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
  return result;
}

Implementation backend_implementation(std::string_view name, const BackendOptions& options) {
  std::shared_ptr<const Backend> backend = make_backend(name, options);
  Implementation result;
  result.name = std::string(backend->name());
  result.run = [backend](const Problem& problem, const PairOutput& out) { backend->run(problem, out); };
  result.exact_order = backend->exact_order();
  result.unavailable = unavailable_reason(*backend);
  // Variants are kept: creating a backend may be costly (a device context, streams).
  using Variants = std::map<std::pair<int, std::int64_t>, std::shared_ptr<const Backend>>;
  result.configure = [name = std::string(name), options,
                      variants = std::make_shared<Variants>()](const BackendOptions& changes) -> RunFunction {
    std::shared_ptr<const Backend>& variant = (*variants)[{changes.threads, changes.chunk_rows}];
    if (!variant) {
      BackendOptions merged = options;
      merged.threads = changes.threads;
      merged.chunk_rows = changes.chunk_rows;
      variant = make_backend(name, merged);
    }
    return [variant](const Problem& problem, const PairOutput& out) { variant->run(problem, out); };
  };
  return result;
}

}  // namespace relpos::harness
