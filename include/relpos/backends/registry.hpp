#pragma once
// Every backend, by name: the one place that lists them. make_backend,
// relpos backends, relpos memory and relpos bench iterate it; a new backend
// is one folder (or file) plus one entry in registry.cpp, or one
// register_backend() call from code that links relpos (a user's kernel can be
// benchmarked and verified next to ours this way).
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "relpos/backend.hpp"

namespace relpos {

struct BackendEntry {
  std::string name;
  std::string summary;  ///< one line for help texts and relpos backends
  std::function<std::unique_ptr<Backend>(const BackendOptions&)> make;
};

/// The registered backends, built-in ones first, in display order.
const std::vector<BackendEntry>& registered_backends();

/// Their names, in the same order.
std::vector<std::string> backend_names();

/// Adds a backend (at start-up, before other threads look the registry up);
/// InputError for an empty name, a missing factory or a name already taken.
void register_backend(BackendEntry entry);

/// Throws InputError for an unknown name. A known backend that cannot run here
/// (cuda without a device) is still returned: ask availability().
std::unique_ptr<Backend> make_backend(std::string_view name, const BackendOptions& options = {});

/// The registered sequential reference (BenchRole::sequential_reference): the
/// bitwise definition fixtures and properties compare against.
std::unique_ptr<Backend> make_reference_backend(const BackendOptions& options = {});

/// The backend relpos compute uses when none is named: the first registered
/// lookup (BenchRole::lookup) that runs on the host and is available here.
std::string default_backend_name();

/// "onehot, onehot-blas, cpu, cuda": for help texts and error messages.
std::string backend_list();

}  // namespace relpos
