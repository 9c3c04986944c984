#pragma once
// Device-side helpers the CUDA tests need (compiled by nvcc in cuda_test_kernels.cu).
#include <cstdint>
#include <vector>

#include <cuda_runtime_api.h>

namespace relpos::testing {

/// Rounds every value to bf16 on the device twice: with relpos::bf16_round (what
/// the kernel uses) and with the hardware conversion __float2bfloat16_rn.
cudaError_t round_bf16_on_device(const std::vector<float>& values, std::vector<std::uint16_t>& shared_rule,
                                 std::vector<std::uint16_t>& hardware);

}  // namespace relpos::testing
