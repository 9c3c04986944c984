#pragma once
// The lookup kernel's work, written once for two compilers: nvcc runs it as
// the kernel (lookup.cu); g++ runs the same functions thread by thread, with
// the barrier between the phases, in tests/test_cuda_lookup_emulated.cpp, so
// the indexing, tails, memo, packing and alignment are checked on machines
// without a GPU.
//
// Work: the pair tensor row (b, i) is N * c_z contiguous elements; it is cut
// into tiles of `tile_pairs` columns j, and persistent blocks stride over the
// tiles. Per tile:
//   1. bins_phase: one thread per column computes the pair's bins with
//      relpos::pair_bins and stores the four table rows it needs (an absent
//      entity term -> row F, all -0.0f, the exact additive identity) in a
//      double-buffered shared array;
//   2. store_phase: `lanes` threads share each pair's channels, kVec channels
//      per thread, so one step of the block stores `step` whole pairs as one
//      contiguous, coalesced run of 16-byte (or narrower) stores.
// A pair's result depends only on its four rows, so a thread keeps the last
// rows and result it computed and reuses them when its next pair has the same
// rows (most pairs of a large complex: clipped offsets, other chains). That is
// the same arithmetic on the same values, not an approximation.
#include <vector_types.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "relpos/bf16.hpp"
#include "relpos/bins.hpp"
#include "relpos/config.hpp"
#include "relpos/cuda/lookup.hpp"
#include "relpos/host_device.hpp"

#if defined(__CUDACC__)
#define RELPOS_INLINE __forceinline__
#else
#define RELPOS_INLINE inline
#endif

namespace relpos::cuda::detail {

enum class Store : int { fp32, bf16, accumulate };

inline constexpr int kThreads = 512;
// Two resident blocks (1024 threads) per SM, at most 64 registers a thread:
// the 71 KB table would allow three on Hopper, but 40 registers spill.
inline constexpr int kMinBlocksPerSm = 2;
// Columns per tile: enough block steps to amortise the tile's barrier and
// bins, at most one column per thread for the bins phase.
inline constexpr int kStepsPerTile = 16;

struct KernelParams {
  BinParams bins;
  const std::int64_t* asym_id;
  const std::int64_t* residue_index;
  const std::int64_t* entity_id;
  const std::int64_t* sym_id;
  const std::int64_t* token_index;
  const std::int64_t* cyclic_period;  ///< nullptr: every token 0
  const float* weight;
  std::int64_t weight_channel_stride;
  std::int64_t weight_feature_stride;
  std::int64_t tokens;
  std::int64_t tiles_per_row;
  std::int64_t tiles;
  std::int32_t channels;
  std::int32_t features;        ///< F; row F of the table is -0.0f
  std::int32_t tile_pairs;
  std::int32_t lanes;           ///< threads per pair
  std::int32_t vectors;         ///< channel vectors per pair (channels / kVec)
  std::int32_t pairs_per_step;  ///< kThreads / lanes
  std::int32_t hot_bytes;       ///< shared bytes of the two row buffers (16-byte multiple)
  void* out;
  bool streaming;
  bool round_weights;  ///< bf16-autocast: each weight rounded to bf16 as it is read
  bool round_result;   ///< the bf16 regimes: each sum rounded to bf16 before an fp32 store or add
};

/// The four table rows of one pair. uint16 when the table is in shared memory (F < 65535 there).
template <class Index>
struct alignas(4 * sizeof(Index)) HotRows {
  Index residue, token, entity, chain;
};

template <class Index>
RELPOS_HOST_DEVICE RELPOS_INLINE bool same_rows(const HotRows<Index>& a, const HotRows<Index>& b) {
  return a.residue == b.residue && a.token == b.token && a.entity == b.entity && a.chain == b.chain;
}

template <bool kShared>
using RowIndex = std::conditional_t<kShared, std::uint16_t, std::int32_t>;

template <Store kStore>
using OutputElement = std::conditional_t<kStore == Store::bf16, std::uint16_t, float>;

// ---- the launch geometry (host) -----------------------------------------------------

struct Geometry {
  int vector_width = 1;
  int vectors = 0;
  int lanes = 0;
  int step = 0;
  int tile_pairs = 0;
  std::int64_t tiles_per_row = 0;
  std::int64_t tiles = 0;
  std::size_t hot_bytes = 0;
  std::size_t table_bytes = 0;
  std::size_t shared_bytes = 0;
  bool table_in_shared = false;
};

/// The widest store of at most 16 bytes that divides c_z and the output's alignment.
inline int vector_width(std::int64_t channels, std::size_t element_bytes, std::uintptr_t address) {
  for (int width = static_cast<int>(16 / element_bytes); width > 1; width /= 2)
    if (channels % width == 0 && address % (width * element_bytes) == 0) return width;
  return 1;
}

/// Everything about a launch that does not depend on the device beyond its shared memory limit.
inline Geometry plan_geometry(const Config& config, std::int64_t batch, std::int64_t tokens, Store store,
                              std::uintptr_t out_address, std::size_t shared_limit, bool force_global_table) {
  Geometry g;
  const std::int64_t channels = config.c_z;
  const std::int64_t features = config.feature_width();
  g.vector_width = vector_width(channels, store == Store::bf16 ? 2 : 4, out_address);
  g.vectors = static_cast<int>(channels / g.vector_width);
  g.lanes = std::min(g.vectors, kThreads);
  g.step = kThreads / g.lanes;
  const std::int64_t rounded_tokens = (tokens + g.step - 1) / g.step * g.step;
  g.tile_pairs = static_cast<int>(
      std::max<std::int64_t>(1, std::min<std::int64_t>({kThreads, std::int64_t{g.step} * kStepsPerTile, rounded_tokens})));
  g.tiles_per_row = (tokens + g.tile_pairs - 1) / g.tile_pairs;
  g.tiles = batch * tokens * g.tiles_per_row;
  // W^T and its -0.0f row in shared memory when they fit beside the two row buffers.
  g.table_bytes = static_cast<std::size_t>((features + 1) * channels) * sizeof(float);
  const std::size_t shared_hot = static_cast<std::size_t>(2 * g.tile_pairs) * sizeof(HotRows<std::uint16_t>);
  const std::size_t global_hot = static_cast<std::size_t>(2 * g.tile_pairs) * sizeof(HotRows<std::int32_t>);
  g.table_in_shared = !force_global_table && features + 1 < 0xffff && shared_hot + g.table_bytes <= shared_limit;
  g.hot_bytes = ((g.table_in_shared ? shared_hot : global_hot) + 15) / 16 * 16;
  g.shared_bytes = g.hot_bytes + (g.table_in_shared ? g.table_bytes : 0);
  return g;
}

inline KernelParams make_kernel_params(const DeviceLookupProblem& problem, const Geometry& g, const void* out,
                                       bool streaming) {
  KernelParams k{};
  k.bins = bin_params(problem.config, problem.any_cyclic);
  k.asym_id = problem.ids.asym_id;
  k.residue_index = problem.ids.residue_index;
  k.entity_id = problem.ids.entity_id;
  k.sym_id = problem.ids.sym_id;
  k.token_index = problem.ids.token_index;
  k.cyclic_period = problem.ids.cyclic_period;
  k.weight = problem.weights.data;
  k.weight_channel_stride = problem.weights.channel_stride;
  k.weight_feature_stride = problem.weights.feature_stride;
  k.tokens = problem.tokens;
  k.tiles_per_row = g.tiles_per_row;
  k.tiles = g.tiles;
  k.channels = problem.config.c_z;
  k.features = static_cast<std::int32_t>(problem.config.feature_width());
  k.tile_pairs = g.tile_pairs;
  k.lanes = g.lanes;
  k.vectors = g.vectors;
  k.pairs_per_step = g.step;
  k.hot_bytes = static_cast<std::int32_t>(g.hot_bytes);
  k.out = const_cast<void*>(out);
  k.streaming = streaming;
  k.round_weights = rounds_weights(problem.config.precision);
  k.round_result = rounds_result(problem.config.precision);
  return k;
}

// ---- memory accesses --------------------------------------------------------------------
// On the device: the read-only path, streaming (evict-first) stores and loads.
// On the host (the emulation): plain accesses, each first shown to a checker
// that the emulation test installs (bounds and alignment).

#if !defined(__CUDA_ARCH__)
/// Host only: called before every emulated memory access; `bytes` is also the required alignment.
using HostAccessCheck = void (*)(const void* address, std::size_t bytes, bool write);
inline HostAccessCheck host_access_check = nullptr;
#endif

template <class T>
RELPOS_HOST_DEVICE RELPOS_INLINE void note_access([[maybe_unused]] const T* address, [[maybe_unused]] bool write) {
#if !defined(__CUDA_ARCH__)
  if (host_access_check != nullptr) host_access_check(address, sizeof(T), write);
#endif
}

template <class T>
RELPOS_HOST_DEVICE RELPOS_INLINE T load_readonly(const T* source) {
#if defined(__CUDA_ARCH__)
  return __ldg(source);
#else
  note_access(source, false);
  return *source;
#endif
}

template <class T>
RELPOS_HOST_DEVICE RELPOS_INLINE T load_shared(const T* source) {
  note_access(source, false);
  return *source;
}

template <class T>
RELPOS_HOST_DEVICE RELPOS_INLINE void store_shared(T* target, const T& value) {
  note_access(target, true);
  *target = value;
}

template <class T>
RELPOS_HOST_DEVICE RELPOS_INLINE void store_global(T* target, const T& value, [[maybe_unused]] bool streaming) {
#if defined(__CUDA_ARCH__)
  if (streaming) {
    __stcs(target, value);
  } else {
    *target = value;
  }
#else
  note_access(target, true);
  *target = value;
#endif
}

template <class T>
RELPOS_HOST_DEVICE RELPOS_INLINE T load_global(const T* source, [[maybe_unused]] bool streaming) {
#if defined(__CUDA_ARCH__)
  return streaming ? __ldcs(source) : *source;
#else
  note_access(source, false);
  return *source;
#endif
}

/// One rounding to nearest, never contracted with anything.
RELPOS_HOST_DEVICE RELPOS_INLINE float add_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;  // this project compiles host code with -ffp-contract=off
#endif
}

// ---- vectors ------------------------------------------------------------------------------

template <int kVec>
RELPOS_HOST_DEVICE RELPOS_INLINE void load_shared_row(const float* source, float (&v)[kVec]) {
  if constexpr (kVec % 4 == 0) {
#pragma unroll
    for (int q = 0; q < kVec / 4; ++q) {
      const float4 t = load_shared(reinterpret_cast<const float4*>(source) + q);
      v[4 * q] = t.x;
      v[4 * q + 1] = t.y;
      v[4 * q + 2] = t.z;
      v[4 * q + 3] = t.w;
    }
  } else if constexpr (kVec == 2) {
    const float2 t = load_shared(reinterpret_cast<const float2*>(source));
    v[0] = t.x;
    v[1] = t.y;
  } else {
    v[0] = load_shared(source);
  }
}

template <int kVec>
RELPOS_HOST_DEVICE RELPOS_INLINE void store_fp32(float* target, const float (&v)[kVec], bool streaming) {
  if constexpr (kVec == 4) {
    store_global(reinterpret_cast<float4*>(target), float4{v[0], v[1], v[2], v[3]}, streaming);
  } else if constexpr (kVec == 2) {
    store_global(reinterpret_cast<float2*>(target), float2{v[0], v[1]}, streaming);
  } else {
    store_global(target, v[0], streaming);
  }
}

template <int kVec>
RELPOS_HOST_DEVICE RELPOS_INLINE void load_fp32(const float* source, float (&v)[kVec], bool streaming) {
  if constexpr (kVec == 4) {
    const float4 t = load_global(reinterpret_cast<const float4*>(source), streaming);
    v[0] = t.x;
    v[1] = t.y;
    v[2] = t.z;
    v[3] = t.w;
  } else if constexpr (kVec == 2) {
    const float2 t = load_global(reinterpret_cast<const float2*>(source), streaming);
    v[0] = t.x;
    v[1] = t.y;
  } else {
    v[0] = load_global(source, streaming);
  }
}

/// kVec bf16 values as the 32-bit words of one store (channel c in the low half: little endian).
template <int kVec>
struct PackedBf16 {
  static constexpr int kWords = kVec >= 2 ? kVec / 2 : 1;
  std::uint32_t word[kWords];
};

template <int kVec>
RELPOS_HOST_DEVICE RELPOS_INLINE PackedBf16<kVec> pack_bf16(const float (&v)[kVec]) {
  PackedBf16<kVec> packed;
  if constexpr (kVec == 1) {
    packed.word[0] = bf16_round(v[0]);
  } else {
#pragma unroll
    for (int w = 0; w < kVec / 2; ++w)
      packed.word[w] = static_cast<std::uint32_t>(bf16_round(v[2 * w])) |
                       (static_cast<std::uint32_t>(bf16_round(v[2 * w + 1])) << 16);
  }
  return packed;
}

template <int kVec>
RELPOS_HOST_DEVICE RELPOS_INLINE void store_bf16(std::uint16_t* target, const PackedBf16<kVec>& p, bool streaming) {
  if constexpr (kVec == 8) {
    store_global(reinterpret_cast<uint4*>(target), uint4{p.word[0], p.word[1], p.word[2], p.word[3]}, streaming);
  } else if constexpr (kVec == 4) {
    store_global(reinterpret_cast<uint2*>(target), uint2{p.word[0], p.word[1]}, streaming);
  } else if constexpr (kVec == 2) {
    store_global(reinterpret_cast<unsigned int*>(target), p.word[0], streaming);
  } else {
    store_global(reinterpret_cast<unsigned short*>(target), static_cast<unsigned short>(p.word[0]), streaming);
  }
}

// ---- the table ------------------------------------------------------------------------------

/// A weight as the regime sums it (bf16-autocast: rounded to bf16).
RELPOS_HOST_DEVICE RELPOS_INLINE float regime_weight(const KernelParams& p, float w) {
  return p.round_weights ? round_to_bf16(w) : w;
}

/// This thread's share of copying W^T [F + 1, c_z] into shared memory, each
/// weight as the regime sums it; row F is -0.0f.
RELPOS_HOST_DEVICE RELPOS_INLINE void load_table_part(const KernelParams& p, float* table, int thread, int threads) {
  const std::int32_t channels = p.channels;
  const std::int32_t features = p.features;
  const std::int32_t total = features * channels;
  // Walk the source in its own memory order so the global reads coalesce.
  if (p.weight_channel_stride == 1 && p.weight_feature_stride == channels && channels % 4 == 0 &&
      reinterpret_cast<std::uintptr_t>(p.weight) % 16 == 0) {
    // W^T given contiguous (what the backend uploads): 16 bytes per access.
    for (std::int32_t k = 4 * thread; k < total; k += 4 * threads) {
      const float4 w = load_readonly(reinterpret_cast<const float4*>(p.weight + k));
      store_shared(reinterpret_cast<float4*>(table + k),
                   float4{regime_weight(p, w.x), regime_weight(p, w.y), regime_weight(p, w.z), regime_weight(p, w.w)});
    }
  } else if (p.weight_channel_stride <= p.weight_feature_stride) {
    for (std::int32_t k = thread; k < total; k += threads) {
      const std::int32_t f = k / channels;
      const std::int32_t c = k - f * channels;
      store_shared(table + k,
                   regime_weight(p, load_readonly(p.weight + c * p.weight_channel_stride + f * p.weight_feature_stride)));
    }
  } else {
    for (std::int32_t k = thread; k < total; k += threads) {
      const std::int32_t c = k / features;
      const std::int32_t f = k - c * features;
      store_shared(table + f * channels + c,
                   regime_weight(p, load_readonly(p.weight + c * p.weight_channel_stride + f * p.weight_feature_stride)));
    }
  }
  for (std::int32_t c = thread; c < channels; c += threads) store_shared(table + total + c, -0.0f);
}

/// kVec consecutive channels of one table row, from shared memory or through the read-only cache.
template <int kVec, bool kShared>
RELPOS_HOST_DEVICE RELPOS_INLINE void load_row(const KernelParams& p, const float* table, std::int32_t row,
                                               std::int32_t channel, float (&v)[kVec]) {
  if constexpr (kShared) {
    load_shared_row<kVec>(table + row * p.channels + channel, v);
  } else if (row == p.features) {
#pragma unroll
    for (int k = 0; k < kVec; ++k) v[k] = -0.0f;
  } else {
    const float* base = p.weight + row * p.weight_feature_stride + channel * p.weight_channel_stride;
#pragma unroll
    for (int k = 0; k < kVec; ++k) v[k] = regime_weight(p, load_readonly(base + k * p.weight_channel_stride));
  }
}

/// ((res + tok) + entity) + chain, each addition rounded to nearest.
template <int kVec, bool kShared, class Index>
RELPOS_HOST_DEVICE RELPOS_INLINE void pair_sum(const KernelParams& p, const float* table, const HotRows<Index>& rows,
                                               std::int32_t channel, float (&sum)[kVec]) {
  float term[kVec];
  load_row<kVec, kShared>(p, table, rows.residue, channel, sum);
  load_row<kVec, kShared>(p, table, rows.token, channel, term);
#pragma unroll
  for (int k = 0; k < kVec; ++k) sum[k] = add_rn(sum[k], term[k]);
  load_row<kVec, kShared>(p, table, rows.entity, channel, term);
#pragma unroll
  for (int k = 0; k < kVec; ++k) sum[k] = add_rn(sum[k], term[k]);
  load_row<kVec, kShared>(p, table, rows.chain, channel, term);
#pragma unroll
  for (int k = 0; k < kVec; ++k) sum[k] = add_rn(sum[k], term[k]);
  // The bf16 regimes' one rounding (a bf16 store's own rounding then changes nothing).
  if (p.round_result) {
#pragma unroll
    for (int k = 0; k < kVec; ++k) sum[k] = round_to_bf16(sum[k]);
  }
}

// ---- the two phases of a tile ---------------------------------------------------------------

struct Tile {
  std::int64_t row;    ///< b * N + i
  std::int64_t base;   ///< b * N: the first token of this batch element
  std::int64_t j0;     ///< first column
  std::int32_t count;  ///< columns in this tile
};

/// a / b for non-negative a, b: 32-bit division when both fit (a few
/// instructions instead of a 64-bit division's many; the common case).
RELPOS_HOST_DEVICE RELPOS_INLINE std::int64_t quotient(std::int64_t a, std::int64_t b) {
  if (((a | b) >> 32) == 0) return static_cast<std::uint32_t>(a) / static_cast<std::uint32_t>(b);
  return a / b;
}

RELPOS_HOST_DEVICE RELPOS_INLINE Tile tile_at(const KernelParams& p, std::int64_t tile) {
  const std::int64_t row = quotient(tile, p.tiles_per_row);
  const std::int64_t j0 = (tile - row * p.tiles_per_row) * p.tile_pairs;
  const std::int64_t base = quotient(row, p.tokens) * p.tokens;
  const std::int64_t left = p.tokens - j0;
  return Tile{row, base, j0, static_cast<std::int32_t>(left < p.tile_pairs ? left : p.tile_pairs)};
}

RELPOS_HOST_DEVICE RELPOS_INLINE TokenIds token_ids(const KernelParams& p, std::int64_t t) {
  return TokenIds{load_readonly(p.asym_id + t),     load_readonly(p.residue_index + t),
                  load_readonly(p.entity_id + t),   load_readonly(p.sym_id + t),
                  load_readonly(p.token_index + t), p.cyclic_period != nullptr ? load_readonly(p.cyclic_period + t) : 0};
}

/// Phase 1, thread `thread`: the rows of column j0 + thread (threads past the tile do nothing).
template <class Index>
RELPOS_HOST_DEVICE RELPOS_INLINE void bins_phase(const KernelParams& p, const Tile& tile, int thread,
                                                 HotRows<Index>* rows) {
  if (thread >= tile.count) return;
  const TokenIds row_ids = token_ids(p, tile.row);
  const TokenIds col_ids = token_ids(p, tile.base + tile.j0 + thread);
  const HotColumns h = hot_columns(p.bins, pair_bins(p.bins, row_ids, col_ids));
  store_shared(rows + thread, HotRows<Index>{static_cast<Index>(h.residue), static_cast<Index>(h.token),
                                             static_cast<Index>(h.entity < 0 ? p.features : h.entity),
                                             static_cast<Index>(h.chain)});
}

/// What a thread keeps between pairs: the last rows and their sum in stored form (bf16: packed bits).
template <Store kStore, int kVec, bool kShared>
struct ThreadMemo {
  HotRows<RowIndex<kShared>> rows{};
  bool valid = false;
  float value[kVec] = {};
  RELPOS_HOST_DEVICE RELPOS_INLINE void set(const float (&sum)[kVec]) {
#pragma unroll
    for (int k = 0; k < kVec; ++k) value[k] = sum[k];
  }
};

template <int kVec, bool kShared>
struct ThreadMemo<Store::bf16, kVec, kShared> {
  HotRows<RowIndex<kShared>> rows{};
  bool valid = false;
  PackedBf16<kVec> value{};
  RELPOS_HOST_DEVICE RELPOS_INLINE void set(const float (&sum)[kVec]) { value = pack_bf16<kVec>(sum); }
};

/// Phase 2, thread `thread`: gather, add and store its channels of the tile's pairs.
template <Store kStore, int kVec, bool kShared>
RELPOS_HOST_DEVICE RELPOS_INLINE void store_phase(const KernelParams& p, const Tile& tile, int thread,
                                                  const HotRows<RowIndex<kShared>>* rows, const float* table,
                                                  ThreadMemo<kStore, kVec, kShared>& memo) {
  using Rows = HotRows<RowIndex<kShared>>;
  using Output = OutputElement<kStore>;
  // accumulate: the loads of z for kUnroll pairs are in flight before the first add
  // (4 x 16 bytes a thread, 64 KB an SM: enough for the latency of a loaded HBM).
  constexpr int kUnroll = kStore == Store::accumulate ? 4 : 1;
  const std::int32_t lanes = p.lanes;
  const std::int32_t step = p.pairs_per_step;
  const std::int32_t slot = thread / lanes;
  const std::int32_t lane = thread - slot * lanes;
  if (slot >= step) return;  // the threads past step * lanes only help with the bins
  const std::int32_t channels = p.channels;
  const std::int32_t count = tile.count;
  // Pair k of the tile starts at element (row * N + j0 + k) * c_z.
  Output* const out = static_cast<Output*>(p.out) + (tile.row * p.tokens + tile.j0) * channels;

  if (p.vectors == lanes) {
    // One channel vector per thread: the memo applies.
    const std::int32_t channel = lane * kVec;
    for (std::int32_t k0 = slot; k0 < count; k0 += kUnroll * step) {
      [[maybe_unused]] float z[kUnroll][kVec];
      if constexpr (kStore == Store::accumulate) {
#pragma unroll
        for (int u = 0; u < kUnroll; ++u)
          if (k0 + u * step < count)
            load_fp32<kVec>(out + static_cast<std::int64_t>(k0 + u * step) * channels + channel, z[u], p.streaming);
      }
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        const std::int32_t k = k0 + u * step;
        if (k >= count) break;
        const Rows r = load_shared(rows + k);
        if (!memo.valid || !same_rows(r, memo.rows)) {
          float sum[kVec];
          pair_sum<kVec, kShared>(p, table, r, channel, sum);
          memo.set(sum);
          memo.rows = r;
          memo.valid = true;
        }
        Output* const target = out + static_cast<std::int64_t>(k) * channels + channel;
        if constexpr (kStore == Store::fp32) {
          store_fp32<kVec>(target, memo.value, p.streaming);
        } else if constexpr (kStore == Store::bf16) {
          store_bf16<kVec>(target, memo.value, p.streaming);
        } else {
#pragma unroll
          for (int q = 0; q < kVec; ++q) z[u][q] = add_rn(z[u][q], memo.value[q]);
          store_fp32<kVec>(target, z[u], p.streaming);
        }
      }
    }
    return;
  }
  // Wide pairs (more channel vectors than threads): each thread walks several vectors of a pair.
  for (std::int32_t k = slot; k < count; k += step) {
    const Rows r = load_shared(rows + k);
    Output* const pair_out = out + static_cast<std::int64_t>(k) * channels;
    for (std::int32_t v = lane; v < p.vectors; v += lanes) {
      const std::int32_t channel = v * kVec;
      float sum[kVec];
      pair_sum<kVec, kShared>(p, table, r, channel, sum);
      if constexpr (kStore == Store::fp32) {
        store_fp32<kVec>(pair_out + channel, sum, p.streaming);
      } else if constexpr (kStore == Store::bf16) {
        store_bf16<kVec>(pair_out + channel, pack_bf16<kVec>(sum), p.streaming);
      } else {
        float z[kVec];
        load_fp32<kVec>(pair_out + channel, z, p.streaming);
#pragma unroll
        for (int q = 0; q < kVec; ++q) z[q] = add_rn(z[q], sum[q]);
        store_fp32<kVec>(pair_out + channel, z, p.streaming);
      }
    }
  }
}

/// Where a block's dynamic shared memory puts the two row buffers and the table.
template <bool kShared>
struct SharedLayout {
  HotRows<RowIndex<kShared>>* hot;
  float* table;  ///< only meaningful when kShared
};

template <bool kShared>
RELPOS_HOST_DEVICE RELPOS_INLINE SharedLayout<kShared> shared_layout(const KernelParams& p, unsigned char* shared) {
  return {reinterpret_cast<HotRows<RowIndex<kShared>>*>(shared), reinterpret_cast<float*>(shared + p.hot_bytes)};
}

/// One persistent block, as both compilers run it. `threads(f)` calls
/// f(thread, memo) for the threads this processor runs (on the GPU: its own
/// thread; on the host: all of them, in turn); `barrier()` is __syncthreads.
/// Between two barriers, the stores of tile t read one row buffer while the
/// bins of tile t + 1 write the other.
template <Store kStore, int kVec, bool kShared, class Threads, class Barrier>
RELPOS_HOST_DEVICE RELPOS_INLINE void lookup_block(const KernelParams& p, std::int64_t block, std::int64_t blocks,
                                                   unsigned char* shared, Threads&& threads, Barrier&& barrier) {
  const SharedLayout<kShared> layout = shared_layout<kShared>(p, shared);
  if constexpr (kShared) {
    threads([&](int thread, ThreadMemo<kStore, kVec, kShared>&) { load_table_part(p, layout.table, thread, kThreads); });
  }
  int buffer = 0;
  for (std::int64_t t = block; t < p.tiles; t += blocks, buffer ^= 1) {
    const Tile tile = tile_at(p, t);
    HotRows<RowIndex<kShared>>* const rows = layout.hot + buffer * p.tile_pairs;
    threads([&](int thread, ThreadMemo<kStore, kVec, kShared>&) { bins_phase(p, tile, thread, rows); });
    barrier();
    threads([&](int thread, ThreadMemo<kStore, kVec, kShared>& memo) {
      store_phase<kStore, kVec, kShared>(p, tile, thread, rows, layout.table, memo);
    });
  }
}

}  // namespace relpos::cuda::detail
