#include "cuda_test_kernels.hpp"

#include <cuda_bf16.h>

#include "relpos/bf16.hpp"

namespace relpos::testing {
namespace {

__global__ void round_both_ways(const float* in, std::size_t n, std::uint16_t* shared_rule, std::uint16_t* hardware) {
  const std::size_t k = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
  if (k >= n) return;
  shared_rule[k] = relpos::bf16_round(in[k]);
  hardware[k] = __bfloat16_as_ushort(__float2bfloat16_rn(in[k]));
}

}  // namespace

cudaError_t round_bf16_on_device(const std::vector<float>& values, std::vector<std::uint16_t>& shared_rule,
                                 std::vector<std::uint16_t>& hardware) {
  const std::size_t n = values.size();
  shared_rule.assign(n, 0);
  hardware.assign(n, 0);
  if (n == 0) return cudaSuccess;
  float* in = nullptr;
  std::uint16_t* out = nullptr;
  cudaError_t e = cudaMalloc(&in, n * sizeof(float));
  if (e == cudaSuccess) e = cudaMalloc(&out, 2 * n * sizeof(std::uint16_t));
  if (e == cudaSuccess) e = cudaMemcpy(in, values.data(), n * sizeof(float), cudaMemcpyHostToDevice);
  if (e == cudaSuccess) {
    round_both_ways<<<static_cast<unsigned>((n + 255) / 256), 256>>>(in, n, out, out + n);
    e = cudaGetLastError();
  }
  if (e == cudaSuccess) e = cudaMemcpy(shared_rule.data(), out, n * sizeof(std::uint16_t), cudaMemcpyDeviceToHost);
  if (e == cudaSuccess) e = cudaMemcpy(hardware.data(), out + n, n * sizeof(std::uint16_t), cudaMemcpyDeviceToHost);
  cudaFree(in);
  cudaFree(out);
  return e;
}

}  // namespace relpos::testing
