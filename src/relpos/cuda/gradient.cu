// The CUDA weight gradient: one block per fixed slot builds its [F, c_z]
// histogram (shared memory when it fits), then the slot partials are added in
// slot order (gradient_core.hpp).
#include "relpos/cuda/gradient.hpp"

#include "relpos/cuda/gradient_core.hpp"

namespace relpos::cuda {
namespace detail {

// Shared memory a block may use for its histogram (the rest of the SM's is left to co-resident blocks).
inline constexpr std::size_t kSharedHistogramBytes = 96 * 1024;

template <bool kShared>
__global__ void __launch_bounds__(kGradientThreads) gradient_slots_kernel(const GradientParams p) {
  extern __shared__ __align__(16) float shared_histogram[];
  const std::int64_t slot = blockIdx.x;
  const int thread = static_cast<int>(threadIdx.x), threads = static_cast<int>(blockDim.x);
  float* slot_partial = p.partials + slot * static_cast<std::int64_t>(p.features) * p.channels;
  float* acc = kShared ? shared_histogram : slot_partial;
  clear_histogram(p, thread, threads, acc);
  gradient_slot(p, slot, thread, threads, acc);
  if constexpr (kShared) {
    // Each thread wrote only its own channels: no barrier is needed before it copies them out.
    for (std::int32_t c = thread; c < p.channels; c += threads)
      for (std::int32_t f = 0; f < p.features; ++f) {
        const std::int64_t k = static_cast<std::int64_t>(f) * p.channels + c;
        slot_partial[k] = acc[k];
      }
  }
}

__global__ void reduce_slots_kernel(const GradientParams p) {
  const std::int64_t element = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (element < static_cast<std::int64_t>(p.features) * p.channels) reduce_slots(p, element);
}

}  // namespace detail

std::size_t weight_gradient_workspace_bytes(const Config& config) {
  return static_cast<std::size_t>(detail::kGradientSlots * config.feature_width() * config.c_z) * sizeof(float);
}

cudaError_t weight_gradient(const DeviceLookupProblem& problem, const float* grad_output, float* grad_weight,
                            void* workspace, cudaStream_t stream) {
  const Config& config = problem.config;
  if (config.c_z <= 0 || config.r_max < 0 || config.s_max < 0 || problem.batch < 0 || problem.tokens < 0)
    return cudaErrorInvalidValue;
  const std::int64_t elements = config.c_z * config.feature_width();
  if (grad_weight == nullptr || workspace == nullptr || (problem.elements() > 0 && grad_output == nullptr))
    return cudaErrorInvalidValue;
  detail::GradientParams p{};
  p.bins = bin_params(config, config.cyclic == Cyclic::boltz && problem.any_cyclic);
  p.ids = problem.ids;
  p.grad_output = grad_output;
  p.partials = static_cast<float*>(workspace);
  p.grad_weight = grad_weight;
  p.batch = problem.batch;
  p.tokens = problem.tokens;
  p.channels = config.c_z;
  p.features = static_cast<std::int32_t>(config.feature_width());

  const std::size_t histogram = static_cast<std::size_t>(elements) * sizeof(float);
  const bool shared = histogram <= detail::kSharedHistogramBytes;
  if (shared) {
    const cudaError_t status = cudaFuncSetAttribute(detail::gradient_slots_kernel<true>,
                                                    cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                    static_cast<int>(histogram));
    if (status != cudaSuccess) return status;
    detail::gradient_slots_kernel<true>
        <<<static_cast<unsigned>(detail::kGradientSlots), detail::kGradientThreads, histogram, stream>>>(p);
  } else {
    detail::gradient_slots_kernel<false>
        <<<static_cast<unsigned>(detail::kGradientSlots), detail::kGradientThreads, 0, stream>>>(p);
  }
  if (const cudaError_t status = cudaGetLastError(); status != cudaSuccess) return status;
  const int threads = 256;
  const auto blocks = static_cast<unsigned>((elements + threads - 1) / threads);
  detail::reduce_slots_kernel<<<blocks, threads, 0, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace relpos::cuda
