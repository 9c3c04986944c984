// Reference kernels for the benchmark's physical limits: what a device can
// do with the same bytes when there is nothing to compute.
#include "relpos/cuda/arena_kernels.hpp"

#include <algorithm>

namespace relpos::cuda::detail {
namespace {

constexpr int kThreads = 256;
constexpr int kUnroll = 4;

template <class T>
__device__ __forceinline__ void put(T* target, const T& value, bool streaming) {
  if (streaming) {
    __stcs(target, value);
  } else {
    *target = value;
  }
}

template <class T>
__device__ __forceinline__ T get(const T* source, bool streaming) {
  return streaming ? __ldcs(source) : *source;
}

/// Splits [data, data + count) of 4-byte items into a head up to 16-byte
/// alignment, a body of 16-byte vectors and a tail.
struct Split {
  std::size_t head;
  std::size_t vectors;
  std::size_t tail_begin;
};

__host__ __device__ inline Split split(const void* data, std::size_t count) {
  const auto misaligned = reinterpret_cast<std::uintptr_t>(data) % 16;
  std::size_t head = misaligned == 0 ? 0 : (16 - misaligned) / 4;
  if (head > count) head = count;
  const std::size_t vectors = (count - head) / 4;
  return {head, vectors, head + 4 * vectors};
}

__global__ void __launch_bounds__(kThreads) fill_words_kernel(std::uint32_t* words, std::size_t count,
                                                              std::uint32_t pattern, bool streaming) {
  const Split s = split(words, count);
  const std::size_t thread = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
  const std::size_t threads = std::size_t{gridDim.x} * blockDim.x;
  if (thread < s.head) words[thread] = pattern;
  if (thread < count - s.tail_begin) words[s.tail_begin + thread] = pattern;
  uint4* body = reinterpret_cast<uint4*>(words + s.head);
  const uint4 value = make_uint4(pattern, pattern, pattern, pattern);
  for (std::size_t k = thread; k < s.vectors; k += threads) put(body + k, value, streaming);
}

__global__ void __launch_bounds__(kThreads) add_one_kernel(float* data, std::size_t count, bool streaming) {
  const Split s = split(data, count);
  const std::size_t thread = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
  const std::size_t threads = std::size_t{gridDim.x} * blockDim.x;
  if (thread < s.head) data[thread] += 1.0f;
  if (thread < count - s.tail_begin) data[s.tail_begin + thread] += 1.0f;
  float4* body = reinterpret_cast<float4*>(data + s.head);
  // kUnroll loads in flight before the first store.
  std::size_t k = thread;
  for (; k + (kUnroll - 1) * threads < s.vectors; k += kUnroll * threads) {
    float4 v[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) v[u] = get(body + k + u * threads, streaming);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      v[u].x += 1.0f;
      v[u].y += 1.0f;
      v[u].z += 1.0f;
      v[u].w += 1.0f;
      put(body + k + u * threads, v[u], streaming);
    }
  }
  for (; k < s.vectors; k += threads) {
    float4 v = get(body + k, streaming);
    v.x += 1.0f;
    v.y += 1.0f;
    v.z += 1.0f;
    v.w += 1.0f;
    put(body + k, v, streaming);
  }
}

cudaError_t grid_size(const void* kernel, int& blocks) {
  int device = 0;
  int sms = 0;
  int per_sm = 0;
  if (cudaError_t e = cudaGetDevice(&device); e != cudaSuccess) return e;
  if (cudaError_t e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device); e != cudaSuccess) return e;
  if (cudaError_t e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreads, 0); e != cudaSuccess)
    return e;
  blocks = std::max(1, sms * per_sm);
  return cudaSuccess;
}

}  // namespace

cudaError_t launch_fill_words(std::uint32_t* words, std::size_t count, std::uint32_t pattern, bool streaming,
                              cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  int blocks = 0;
  if (cudaError_t e = grid_size(reinterpret_cast<const void*>(fill_words_kernel), blocks); e != cudaSuccess) return e;
  fill_words_kernel<<<blocks, kThreads, 0, stream>>>(words, count, pattern, streaming);
  return cudaGetLastError();
}

cudaError_t launch_add_one(float* data, std::size_t count, bool streaming, cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  int blocks = 0;
  if (cudaError_t e = grid_size(reinterpret_cast<const void*>(add_one_kernel), blocks); e != cudaSuccess) return e;
  add_one_kernel<<<blocks, kThreads, 0, stream>>>(data, count, streaming);
  return cudaGetLastError();
}

}  // namespace relpos::cuda::detail
