#pragma once
// The CUDA lookup's device API: Algorithm 3 computed straight into a pair
// tensor the caller already holds in device memory, on the caller's stream.
//
//   relpos::cuda::DeviceLookupProblem problem{config, ids, weights, batch, tokens};
//   cudaError_t status = relpos::cuda::write_fp32(problem, z, stream);   // z = p
//   status = relpos::cuda::accumulate(problem, z, stream);                // z += p
//
// Every call is asynchronous with respect to the host (like a CUB device
// algorithm): it validates its arguments, enqueues one kernel on `stream` and
// returns the launch status. Nothing N x N is allocated; the kernel computes
// the bins of each pair from the per-token ids with relpos::pair_bins.
//
// Numerics: in fp32 each element is ((res + tok) + entity) + chain, added in
// that order with round-to-nearest and no contraction, which is bitwise what
// the one-hot reference gives; bf16 rounds that fp32 sum once with
// relpos::bf16_round; accumulate adds the fp32 sum into z (z + p). The bf16
// regimes of config.precision round each sum to bf16 before any store, and
// bf16-autocast reads every weight rounded to bf16.
#include <cstdint>

#include <cuda_runtime_api.h>

#include "relpos/bins.hpp"
#include "relpos/config.hpp"

namespace relpos::cuda {

/// The five per-token ids in device memory, each int64 [batch, tokens], row-major and contiguous,
/// and the cyclic periods (Boltz; nullptr = every token 0).
struct DeviceTokenIds {
  const std::int64_t* asym_id = nullptr;
  const std::int64_t* residue_index = nullptr;
  const std::int64_t* entity_id = nullptr;
  const std::int64_t* sym_id = nullptr;
  const std::int64_t* token_index = nullptr;
  const std::int64_t* cyclic_period = nullptr;
};

/// The projection weight in device memory: element (channel c, feature f) is
/// data[c * channel_stride + f * feature_stride]. Strides are in floats.
struct DeviceWeights {
  const float* data = nullptr;
  std::int64_t channel_stride = 0;
  std::int64_t feature_stride = 0;

  /// PyTorch nn.Linear layout [c_z, F] (a contiguous `linear.weight`).
  static DeviceWeights linear(const float* data, const Config& config) {
    return {data, config.feature_width(), 1};
  }
  /// The transposed table [F, c_z] (`linear.weight.t().contiguous()`).
  static DeviceWeights transposed(const float* data, const Config& config) { return {data, 1, config.c_z}; }
};

struct DeviceLookupProblem {
  /// Includes the precision regime (bf16-autocast rounds W to bf16 as it is read;
  /// both bf16 regimes round each sum once before any store) and the cyclic form.
  Config config;
  DeviceTokenIds ids;
  DeviceWeights weights;
  std::int64_t batch = 1;
  std::int64_t tokens = 0;
  /// With config.cyclic = boltz: some token of the WHOLE input (every batch
  /// element) has cyclic_period > 0, which puts the wrap in force (SPEC.md
  /// part 2). The caller states it: the periods live in device memory.
  bool any_cyclic = false;

  /// Elements of the pair tensor [batch, tokens, tokens, c_z].
  std::int64_t elements() const { return batch * tokens * tokens * config.c_z; }
};

/// Cache policy of the output stores (and of the loads of z when accumulating).
enum class StorePolicy {
  automatic,  ///< streaming (evict-first) when the output is larger than the device's L2
  streaming,  ///< always st.global.cs / ld.global.cs
  cached,     ///< always plain stores, the result stays in L2 for a consumer that follows
};

struct LookupTuning {
  StorePolicy stores = StorePolicy::automatic;
  /// Read W^T through the read-only cache even when it fits in shared memory
  /// (the path very large r_max * c_z take); for tests and comparisons.
  bool force_global_table = false;
};

/// How a call is executed: the dispatch layer's choices, for reports and tests.
struct LaunchPlan {
  int vector_width = 0;          ///< channels per thread per store (fp32: 1, 2, 4; bf16: 1, 2, 4, 8)
  int threads_per_block = 0;
  int lanes_per_pair = 0;        ///< threads sharing one pair's channels
  int pairs_per_step = 0;        ///< pairs a block stores per step
  int tile_pairs = 0;            ///< pairs (columns j of one row i) per tile
  std::int64_t tiles = 0;        ///< batch * tokens * ceil(tokens / tile_pairs)
  int blocks = 0;                ///< persistent grid size (SMs x resident blocks, at most `tiles`)
  int blocks_per_sm = 0;
  std::size_t shared_bytes = 0;  ///< dynamic shared memory per block
  bool table_in_shared = false;  ///< W^T (+ one row of -0.0f) held in shared memory
  bool streaming = false;        ///< st.global.cs stores (and ld.global.cs loads)
};

/// p[b, i, j, :] as fp32 into `out` [batch, tokens, tokens, c_z] (any alignment; 16-byte aligned is fastest).
cudaError_t write_fp32(const DeviceLookupProblem& problem, float* out, cudaStream_t stream = nullptr,
                       const LookupTuning& tuning = {});
/// bf16(p) as raw bf16 bits (a `__nv_bfloat16*` or torch.bfloat16 data pointer reinterpreted).
cudaError_t write_bf16(const DeviceLookupProblem& problem, std::uint16_t* out, cudaStream_t stream = nullptr,
                       const LookupTuning& tuning = {});
/// z += p in fp32, in place.
cudaError_t accumulate(const DeviceLookupProblem& problem, float* z, cudaStream_t stream = nullptr,
                       const LookupTuning& tuning = {});

enum class LookupOutput { fp32, bf16, accumulate };

/// What the call with these arguments would launch on the current device
/// (cudaErrorInvalidValue for a malformed problem). Launches nothing.
cudaError_t plan_lookup(const DeviceLookupProblem& problem, LookupOutput output, const void* out,
                        const LookupTuning& tuning, LaunchPlan* plan);

/// cudaSuccess when this binary holds a kernel image (or PTX) the current device can run.
cudaError_t check_kernel_image();

}  // namespace relpos::cuda
