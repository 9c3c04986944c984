#pragma once
// The plain kernels the device benchmark arena measures its limits with.
#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

namespace relpos::cuda::detail {

/// words[k] = pattern for k < count: 16-byte stores (st.global.cs when streaming).
cudaError_t launch_fill_words(std::uint32_t* words, std::size_t count, std::uint32_t pattern, bool streaming,
                              cudaStream_t stream);

/// data[k] += 1.0f for k < count: 16-byte loads and stores, several in flight per thread.
cudaError_t launch_add_one(float* data, std::size_t count, bool streaming, cudaStream_t stream);

}  // namespace relpos::cuda::detail
