#include "relpos/backends/registry.hpp"

#include <algorithm>
#include <mutex>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "relpos/backends/cpu_lookup.hpp"
#include "relpos/backends/cuda_lookup.hpp"
#include "relpos/backends/onehot.hpp"
#include "relpos/errors.hpp"

namespace relpos {
namespace {

// The built-in backends, one entry each.
std::vector<BackendEntry> builtin_backends() {
  return {
      {"onehot", "one-hot features times W^T, products added in column order: the bitwise reference",
       [](const BackendOptions& o) { return make_onehot_backend(OnehotForm::sequential, o); }},
      {"onehot-blas", "one-hot features times W^T with OpenBLAS sgemm, as PyTorch runs F.linear",
       [](const BackendOptions& o) { return make_onehot_backend(OnehotForm::blas, o); }},
      {"cpu", "the fused CPU lookup: four weight columns summed per pair, written straight into the output",
       [](const BackendOptions& o) { return make_cpu_lookup_backend(o); }},
      {"cuda", "the fused CUDA lookup (device memory)",
       [](const BackendOptions& o) { return make_cuda_lookup_backend(o); }},
  };
}

std::mutex& registry_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::vector<BackendEntry>& registry() {
  static std::vector<BackendEntry> entries = builtin_backends();
  return entries;
}

}  // namespace

const std::vector<BackendEntry>& registered_backends() { return registry(); }

std::vector<std::string> backend_names() {
  std::vector<std::string> names;
  for (const BackendEntry& entry : registered_backends()) names.push_back(entry.name);
  return names;
}

std::string backend_list() { return fmt::format("{}", fmt::join(backend_names(), ", ")); }

void register_backend(BackendEntry entry) {
  if (entry.name.empty()) throw InputError("register_backend: the backend needs a name");
  if (!entry.make) throw InputError(fmt::format("register_backend: backend {} has no factory", entry.name));
  const std::lock_guard lock(registry_mutex());
  std::vector<BackendEntry>& entries = registry();
  if (std::any_of(entries.begin(), entries.end(), [&](const BackendEntry& e) { return e.name == entry.name; }))
    throw InputError(fmt::format("register_backend: a backend named {} is already registered", entry.name));
  entries.push_back(std::move(entry));
}

std::unique_ptr<Backend> make_backend(std::string_view name, const BackendOptions& options) {
  for (const BackendEntry& entry : registered_backends())
    if (entry.name == name) return entry.make(options);
  throw InputError(fmt::format("unknown backend '{}' (known: {})", name, backend_list()));
}

std::unique_ptr<Backend> make_reference_backend(const BackendOptions& options) {
  for (const BackendEntry& entry : registered_backends())
    if (auto backend = entry.make(options); backend->traits().role == BenchRole::sequential_reference) return backend;
  throw RuntimeFailure("no sequential reference backend is registered");
}

std::string default_backend_name() {
  for (const BackendEntry& entry : registered_backends()) {
    const auto backend = entry.make({});
    if (backend->traits().role == BenchRole::lookup && backend->native_space() == MemorySpace::host &&
        backend->availability().available)
      return entry.name;
  }
  throw RuntimeFailure("no host lookup backend is registered");
}

}  // namespace relpos
