#pragma once
// The CUDA runtime as the rest of relpos sees it: errors become
// RuntimeFailure naming the call, and one honest line about the device.
#include <cstddef>
#include <string>
#include <string_view>

#include <cuda_runtime_api.h>

namespace relpos::cuda {

/// Throws RuntimeFailure("cuda: <call>: <runtime's message>") unless `status` is cudaSuccess.
void check(cudaError_t status, std::string_view call);

/// "1.2 GB", "512 KB": sizes inside error messages.
std::string byte_size(std::size_t bytes);

/// The machine code and PTX this build carries, e.g. "sm_80, sm_90 + PTX (compute_90)".
std::string compiled_architectures();

struct DeviceState {
  bool usable = false;
  /// "NVIDIA H200, sm_90, 132 SMs, 141 GB, driver 13.0, runtime 13.0" or
  /// "compiled (sm_80, sm_90 + PTX (compute_90)), no device: <why>".
  std::string detail;
};

/// Asks the runtime about the current device, and whether this binary's kernels run on it.
DeviceState probe_device();

/// Throws RuntimeFailure("cuda: <probe_device().detail>") when no usable device is present.
void require_device();

}  // namespace relpos::cuda
