// The CUDA lookup: the kernel (phases from lookup_core.hpp) and its dispatch,
// which picks the vector width from c_z and the output's alignment, the
// table's home (shared memory when it fits), the tile and the persistent grid.
#include "relpos/cuda/lookup.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>

#include "relpos/cuda/lookup_core.hpp"

namespace relpos::cuda {
namespace detail {

template <Store kStore, int kVec, bool kShared>
__global__ void __launch_bounds__(kThreads, kMinBlocksPerSm) lookup_kernel(const KernelParams p) {
  extern __shared__ __align__(16) unsigned char shared[];
  ThreadMemo<kStore, kVec, kShared> memo;
  const int thread = static_cast<int>(threadIdx.x);
  lookup_block<kStore, kVec, kShared>(
      p, blockIdx.x, gridDim.x, shared, [&](auto&& work) { work(thread, memo); }, [] { __syncthreads(); });
}

}  // namespace detail

namespace {

using detail::KernelParams;
using detail::kThreads;
using detail::Store;

using Kernel = void (*)(KernelParams);

template <Store kStore, bool kShared>
Kernel kernel_for_width(int width) {
  switch (width) {
    case 1: return detail::lookup_kernel<kStore, 1, kShared>;
    case 2: return detail::lookup_kernel<kStore, 2, kShared>;
    case 4: return detail::lookup_kernel<kStore, 4, kShared>;
    default:
      if constexpr (kStore == Store::bf16) return detail::lookup_kernel<kStore, 8, kShared>;
      return nullptr;
  }
}

Kernel kernel_for(Store store, int width, bool shared) {
  switch (store) {
    case Store::fp32:
      return shared ? kernel_for_width<Store::fp32, true>(width) : kernel_for_width<Store::fp32, false>(width);
    case Store::bf16:
      return shared ? kernel_for_width<Store::bf16, true>(width) : kernel_for_width<Store::bf16, false>(width);
    case Store::accumulate:
      return shared ? kernel_for_width<Store::accumulate, true>(width)
                    : kernel_for_width<Store::accumulate, false>(width);
  }
  return nullptr;
}

Store store_for(LookupOutput output) {
  switch (output) {
    case LookupOutput::fp32: return Store::fp32;
    case LookupOutput::bf16: return Store::bf16;
    case LookupOutput::accumulate: return Store::accumulate;
  }
  return Store::fp32;
}

bool valid(const DeviceLookupProblem& problem) {
  const Config& config = problem.config;
  if (config.r_max < 0 || config.s_max < 0 || config.r_max > kMaxClip || config.s_max > kMaxClip) return false;
  if (config.c_z <= 0 || config.c_z > kMaxChannels) return false;
  if (problem.batch < 0 || problem.tokens < 0 || problem.tokens > (std::int64_t{1} << 24)) return false;
  // The output's byte count must fit int64 (elements() and every offset are int64).
  const __int128 bytes = static_cast<__int128>(problem.batch) * problem.tokens * problem.tokens * config.c_z * 4;
  if (bytes > static_cast<__int128>(INT64_MAX)) return false;
  if (problem.elements() == 0) return true;
  const DeviceTokenIds& ids = problem.ids;
  return ids.asym_id && ids.residue_index && ids.entity_id && ids.sym_id && ids.token_index &&
         problem.weights.data && problem.weights.channel_stride > 0 && problem.weights.feature_stride > 0;
}

// What dispatch asks the runtime, asked once per device (and kernel): a
// launch then costs the launch itself, not a dozen runtime queries.
struct DeviceFacts {
  int sms = 0;
  int shared_optin = 0;
  int l2_bytes = 0;
};

std::mutex facts_mutex;

cudaError_t device_facts(int device, DeviceFacts& facts) {
  static std::map<int, DeviceFacts> known;
  std::lock_guard lock(facts_mutex);
  if (auto it = known.find(device); it != known.end()) {
    facts = it->second;
    return cudaSuccess;
  }
  if (cudaError_t e = cudaDeviceGetAttribute(&facts.sms, cudaDevAttrMultiProcessorCount, device); e != cudaSuccess)
    return e;
  if (cudaError_t e = cudaDeviceGetAttribute(&facts.shared_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device);
      e != cudaSuccess)
    return e;
  if (cudaError_t e = cudaDeviceGetAttribute(&facts.l2_bytes, cudaDevAttrL2CacheSize, device); e != cudaSuccess)
    return e;
  known.emplace(device, facts);
  return cudaSuccess;
}

/// Opts `kernel` into `shared_bytes` of dynamic shared memory and returns how many blocks fit an SM.
cudaError_t resident_blocks(int device, Kernel kernel, std::size_t shared_bytes, int& per_sm) {
  static std::map<std::tuple<int, Kernel, std::size_t>, int> known;
  std::lock_guard lock(facts_mutex);
  const auto key = std::make_tuple(device, kernel, shared_bytes);
  if (auto it = known.find(key); it != known.end()) {
    per_sm = it->second;
    return cudaSuccess;
  }
  if (shared_bytes > 48 * 1024) {
    if (cudaError_t e = cudaFuncSetAttribute(reinterpret_cast<const void*>(kernel),
                                             cudaFuncAttributeMaxDynamicSharedMemorySize,
                                             static_cast<int>(shared_bytes));
        e != cudaSuccess)
      return e;
  }
  if (cudaError_t e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, reinterpret_cast<const void*>(kernel),
                                                                     kThreads, shared_bytes);
      e != cudaSuccess)
    return e;
  known.emplace(key, per_sm);
  return cudaSuccess;
}

struct Launch {
  Kernel kernel = nullptr;
  KernelParams params{};
  LaunchPlan plan;
};

cudaError_t prepare(const DeviceLookupProblem& problem, Store store, const void* out, const LookupTuning& tuning,
                    Launch& launch) {
  launch.plan = LaunchPlan{};
  if (!valid(problem)) return cudaErrorInvalidValue;
  const std::int64_t elements = problem.elements();
  if (elements == 0) return cudaSuccess;
  if (out == nullptr) return cudaErrorInvalidValue;

  int device = 0;
  DeviceFacts facts;
  if (cudaError_t e = cudaGetDevice(&device); e != cudaSuccess) return e;
  if (cudaError_t e = device_facts(device, facts); e != cudaSuccess) return e;
  const int sms = facts.sms;
  const int l2_bytes = facts.l2_bytes;

  const detail::Geometry g =
      detail::plan_geometry(problem.config, problem.batch, problem.tokens, store,
                            reinterpret_cast<std::uintptr_t>(out), static_cast<std::size_t>(facts.shared_optin),
                            tuning.force_global_table);
  launch.kernel = kernel_for(store, g.vector_width, g.table_in_shared);
  if (launch.kernel == nullptr) return cudaErrorInvalidValue;
  int per_sm = 0;
  if (cudaError_t e = resident_blocks(device, launch.kernel, g.shared_bytes, per_sm); e != cudaSuccess) return e;
  if (per_sm < 1) return cudaErrorInvalidConfiguration;

  const std::size_t out_bytes = static_cast<std::size_t>(elements) * (store == Store::bf16 ? 2 : 4);
  bool streaming = false;
  switch (tuning.stores) {
    case StorePolicy::automatic: streaming = out_bytes > static_cast<std::size_t>(l2_bytes); break;
    case StorePolicy::streaming: streaming = true; break;
    case StorePolicy::cached: streaming = false; break;
  }

  LaunchPlan& plan = launch.plan;
  plan.vector_width = g.vector_width;
  plan.threads_per_block = kThreads;
  plan.lanes_per_pair = g.lanes;
  plan.pairs_per_step = g.step;
  plan.tile_pairs = g.tile_pairs;
  plan.tiles = g.tiles;
  plan.blocks_per_sm = per_sm;
  plan.blocks = static_cast<int>(std::min<std::int64_t>(g.tiles, std::int64_t{per_sm} * sms));
  plan.shared_bytes = g.shared_bytes;
  plan.table_in_shared = g.table_in_shared;
  plan.streaming = streaming;
  launch.params = detail::make_kernel_params(problem, g, out, streaming);
  return cudaSuccess;
}

cudaError_t run(const DeviceLookupProblem& problem, Store store, void* out, cudaStream_t stream,
                const LookupTuning& tuning) {
  Launch launch;
  if (cudaError_t e = prepare(problem, store, out, tuning, launch); e != cudaSuccess) return e;
  if (launch.plan.blocks == 0) return cudaSuccess;
  launch.kernel<<<launch.plan.blocks, kThreads, launch.plan.shared_bytes, stream>>>(launch.params);
  return cudaGetLastError();
}

}  // namespace

cudaError_t write_fp32(const DeviceLookupProblem& problem, float* out, cudaStream_t stream,
                       const LookupTuning& tuning) {
  return run(problem, Store::fp32, out, stream, tuning);
}

cudaError_t write_bf16(const DeviceLookupProblem& problem, std::uint16_t* out, cudaStream_t stream,
                       const LookupTuning& tuning) {
  return run(problem, Store::bf16, out, stream, tuning);
}

cudaError_t accumulate(const DeviceLookupProblem& problem, float* z, cudaStream_t stream, const LookupTuning& tuning) {
  return run(problem, Store::accumulate, z, stream, tuning);
}

cudaError_t plan_lookup(const DeviceLookupProblem& problem, LookupOutput output, const void* out,
                        const LookupTuning& tuning, LaunchPlan* plan) {
  if (plan == nullptr) return cudaErrorInvalidValue;
  Launch launch;
  const cudaError_t e = prepare(problem, store_for(output), out, tuning, launch);
  *plan = launch.plan;
  return e;
}

cudaError_t check_kernel_image() {
  cudaFuncAttributes attributes{};
  return cudaFuncGetAttributes(&attributes,
                               reinterpret_cast<const void*>(detail::lookup_kernel<Store::fp32, 4, true>));
}

}  // namespace relpos::cuda
