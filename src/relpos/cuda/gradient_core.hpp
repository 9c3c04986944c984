#pragma once
// The CUDA weight gradient's work, written once for two compilers (like
// lookup_core.hpp): nvcc runs it as the kernels (gradient.cu); g++ runs the
// same functions block by block and thread by thread in
// tests/test_cuda_gradient_emulated.cpp, so the indexing and the order of
// every sum are checked on machines without a GPU.
//
// Deterministic by construction, no atomics: the pair rows (b, i) are cut into
// kGradientSlots fixed slots whatever the device; one block per slot. Each
// thread of a block owns channels c = thread, thread + threads, ... and adds
// G[pair, c] of every pair of its slot, in row-major order, into its own
// entries acc[f * c_z + c] of the block's histogram (shared memory when
// F * c_z floats fit, else the slot's partial in global memory). A second
// kernel adds the slot partials in slot order. The result depends neither on
// the block size nor on the device.
#include <cstdint>

#include "relpos/bins.hpp"
#include "relpos/cuda/lookup.hpp"
#include "relpos/host_device.hpp"

namespace relpos::cuda::detail {

/// Fixed slot count: the partials are kGradientSlots * F * c_z floats.
inline constexpr std::int64_t kGradientSlots = 256;
inline constexpr int kGradientThreads = 128;

struct GradientParams {
  BinParams bins;
  DeviceTokenIds ids;                 ///< cyclic_period nullptr: every token 0
  const float* grad_output;           ///< G [batch, tokens, tokens, channels]
  float* partials;                    ///< [kGradientSlots, features, channels]
  float* grad_weight;                 ///< dW [channels, features]
  std::int64_t batch;
  std::int64_t tokens;
  std::int32_t channels;
  std::int32_t features;
};

RELPOS_HOST_DEVICE inline TokenIds gradient_token(const GradientParams& p, std::int64_t t) {
  const DeviceTokenIds& ids = p.ids;
  return TokenIds{ids.asym_id[t], ids.residue_index[t], ids.entity_id[t], ids.sym_id[t], ids.token_index[t],
                  ids.cyclic_period ? ids.cyclic_period[t] : 0};
}

/// Zeroes this thread's entries of `acc` [features, channels].
RELPOS_HOST_DEVICE inline void clear_histogram(const GradientParams& p, int thread, int threads, float* acc) {
  for (std::int32_t c = thread; c < p.channels; c += threads)
    for (std::int32_t f = 0; f < p.features; ++f) acc[static_cast<std::int64_t>(f) * p.channels + c] = 0.0f;
}

/// Slot `slot`, thread `thread` of `threads`: its channels of every pair of the slot's rows, row-major, into acc.
RELPOS_HOST_DEVICE inline void gradient_slot(const GradientParams& p, std::int64_t slot, int thread, int threads,
                                             float* acc) {
  const std::int64_t n = p.tokens, rows = p.batch * n;
  const std::int64_t begin = rows * slot / kGradientSlots, end = rows * (slot + 1) / kGradientSlots;
  for (std::int64_t row = begin; row < end; ++row) {
    const std::int64_t b = row / n;
    const TokenIds token_i = gradient_token(p, row);
    const float* g = p.grad_output + row * n * p.channels;
    for (std::int64_t j = 0; j < n; ++j, g += p.channels) {
      const HotColumns hot = hot_columns(p.bins, pair_bins(p.bins, token_i, gradient_token(p, b * n + j)));
      const std::int32_t columns[4] = {hot.residue, hot.token, hot.entity, hot.chain};
      for (std::int32_t c = thread; c < p.channels; c += threads) {
        const float value = g[c];
        for (std::int32_t f : columns)
          if (f >= 0) acc[static_cast<std::int64_t>(f) * p.channels + c] += value;
      }
    }
  }
}

/// dW element (c, f) = ((partial 0 + partial 1) + ...) in slot order.
RELPOS_HOST_DEVICE inline void reduce_slots(const GradientParams& p, std::int64_t element) {
  const std::int64_t c = element / p.features, f = element % p.features;
  const std::int64_t stride = static_cast<std::int64_t>(p.features) * p.channels;
  float sum = p.partials[f * p.channels + c];
  for (std::int64_t slot = 1; slot < kGradientSlots; ++slot) sum += p.partials[slot * stride + f * p.channels + c];
  p.grad_weight[element] = sum;
}

}  // namespace relpos::cuda::detail
