#pragma once
// The fused CPU lookup: bins computed on the fly, the four weight columns
// summed in the reference's order and written straight into the output.
#include <memory>

#include "relpos/backend.hpp"

namespace relpos {

std::unique_ptr<Backend> make_cpu_lookup_backend(const BackendOptions& options = {});

/// Bytes the CPU lookup holds beyond the output: the padded W^T table.
std::size_t cpu_lookup_workspace_bytes(const Config& config);

}  // namespace relpos
