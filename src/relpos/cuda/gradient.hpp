#pragma once
// The CUDA weight gradient's device API: dW [c_z, F] of sum(p * G) for G in
// device memory, enqueued on the caller's stream (gradient_core.hpp: fixed
// slots, per-block histograms, no atomics: bitwise the same on every run).
#include <cstddef>

#include <cuda_runtime_api.h>

#include "relpos/cuda/lookup.hpp"

namespace relpos::cuda {

/// Device bytes weight_gradient() needs as `workspace`: the slot partials.
std::size_t weight_gradient_workspace_bytes(const Config& config);

/// dW of `problem` (its weights are not read) for `grad_output` [batch, tokens,
/// tokens, c_z] into `grad_weight` [c_z, F], both device memory; `workspace`
/// holds weight_gradient_workspace_bytes(). Asynchronous; returns the launch status.
cudaError_t weight_gradient(const DeviceLookupProblem& problem, const float* grad_output, float* grad_weight,
                            void* workspace, cudaStream_t stream = nullptr);

}  // namespace relpos::cuda
