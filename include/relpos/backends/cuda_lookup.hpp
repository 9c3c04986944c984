#pragma once
// The fused CUDA lookup. Always declared; when the build has no CUDA compiler
// the backend exists but reports "not compiled" and refuses to run.
#include <memory>

#include "relpos/backend.hpp"

namespace relpos {

std::unique_ptr<Backend> make_cuda_lookup_backend(const BackendOptions& options = {});

/// What the CUDA lookup holds beyond the output: its W^T on the device.
inline Workspace cuda_lookup_workspace(const MemoryShape& shape) {
  const auto table = static_cast<std::uint64_t>(shape.config.feature_width() * shape.config.c_z) * 4;
  return {"this project's fused CUDA lookup (device memory)", {{"fp32 W^T on the device", table}}, {}};
}

}  // namespace relpos
