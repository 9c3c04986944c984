#pragma once
// The fused CUDA lookup. Always declared; when the build has no CUDA compiler
// the backend exists but reports "not compiled" and refuses to run.
#include <memory>

#include "relpos/backend.hpp"

namespace relpos {

std::unique_ptr<Backend> make_cuda_lookup_backend(const BackendOptions& options = {});

}  // namespace relpos
