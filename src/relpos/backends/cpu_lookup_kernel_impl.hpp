#pragma once
// Included only by the per-architecture translation units, each compiled
// with that architecture's target flags.
#include <immintrin.h>

#include <algorithm>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "relpos/backends/cpu_lookup_kernel.hpp"

namespace relpos::detail {

template <class Arch>
inline constexpr bool kIsAvx512 = std::is_base_of_v<xsimd::avx512f, Arch>;
template <class Arch>
inline constexpr bool kIsAvx = std::is_base_of_v<xsimd::avx, Arch> && !kIsAvx512<Arch>;

template <class Arch>
inline void stream_store(float* target, const xsimd::batch<float, Arch>& value) {
  if constexpr (kIsAvx512<Arch>) {
    _mm512_stream_ps(target, value);
  } else if constexpr (kIsAvx<Arch>) {
    _mm256_stream_ps(target, value);
  } else {
    _mm_stream_ps(target, value);
  }
}

// Each lane rounded to bf16 (nearest, ties to even; NaN stays NaN), as the
// 16-bit result in the low half of a 32-bit lane: bf16_round's integer rounding, lane-wise.
template <class Arch>
inline xsimd::batch<std::uint32_t, Arch> bf16_lanes(const xsimd::batch<float, Arch>& value) {
  using ubatch = xsimd::batch<std::uint32_t, Arch>;
  const ubatch bits = xsimd::bitwise_cast<ubatch>(value);
  const ubatch rounded = (bits + (ubatch(0x7fffu) + ((bits >> 16) & ubatch(1u)))) >> 16;
  const ubatch quiet_nan = (bits >> 16) | ubatch(0x0040u);
  using fbatch = xsimd::batch<float, Arch>;
  // select in the float domain: this xsimd has no batch_bool cast between lane types
  return xsimd::bitwise_cast<ubatch>(
      xsimd::select(xsimd::isnan(value), xsimd::bitwise_cast<fbatch>(quiet_nan), xsimd::bitwise_cast<fbatch>(rounded)));
}

// Each lane rounded to bf16 and widened back to float (round_to_bf16, lane-wise).
template <class Arch>
inline xsimd::batch<float, Arch> round_to_bf16(const xsimd::batch<float, Arch>& value) {
  return xsimd::bitwise_cast<xsimd::batch<float, Arch>>(bf16_lanes(value) << 16);
}

// Round each lane to bf16 and store the batch::size 16-bit results.
template <class Arch, bool kStream>
inline void store_bf16(bf16_bits* target, const xsimd::batch<float, Arch>& value) {
  using ubatch = xsimd::batch<std::uint32_t, Arch>;
  const ubatch result = bf16_lanes(value);
  if constexpr (kIsAvx512<Arch>) {
    const __m256i packed = _mm512_cvtepi32_epi16(result);
    if constexpr (kStream) {
      _mm256_stream_si256(reinterpret_cast<__m256i*>(target), packed);
    } else {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(target), packed);
    }
  } else if constexpr (kIsAvx<Arch>) {
    const __m256i wide = result;
    const __m128i packed = _mm_packus_epi32(_mm256_castsi256_si128(wide), _mm256_extracti128_si256(wide, 1));
    if constexpr (kStream) {
      _mm_stream_si128(reinterpret_cast<__m128i*>(target), packed);
    } else {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(target), packed);
    }
  } else {
    // SSE2 has no unsigned 32->16 pack: sign-extend the low halves so the
    // signed saturating pack keeps the bits exactly.
    const __m128i wide = result;
    const __m128i as_signed = _mm_srai_epi32(_mm_slli_epi32(wide, 16), 16);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(target), _mm_packs_epi32(as_signed, as_signed));
  }
}

// Columns handled per key block: the keys of a block are computed together,
// then its pairs are written one after another.
inline constexpr std::int64_t kKeyBlock = 64;

// The pair-table row of each column of [j0, j0 + count) in row `row`, or -1
// where the token term is not "other" (same chain and residue): those pairs
// are summed from W^T. Any int64 ids: the bins come from pair_bins().
inline void keys_exact(const LookupRows& a, std::int64_t base, const TokenIds& row, std::int64_t j0, std::int64_t count,
                       std::int64_t* keys) {
  for (std::int64_t k = 0; k < count; ++k) {
    const TokenIds col = token_at(a, base + j0 + k);
    const PairBins bins = pair_bins(a.params, row, col);
    keys[k] = bins.same_chain && row.residue_index == col.residue_index
                  ? -1
                  : bins.d_res * a.chain_keys + chain_key(a.params, bins);
  }
}

// The same keys, batch::size columns at a time, for ids small enough that
// (row + r) - column cannot overflow (LookupRows::small_ids) and columns the
// Boltz wrap leaves unchanged (no wrap in force, or a window of non-cyclic
// columns within +-5000 residues of the row: see lookup_rows).
template <class Arch>
void keys_vectorised(const LookupRows& a, std::int64_t base, const TokenIds& row, std::int64_t j0, std::int64_t count,
                     std::int64_t* keys) {
  using ibatch = xsimd::batch<std::int64_t, Arch>;
  constexpr std::int64_t kLanes = ibatch::size;
  const std::int64_t r = a.params.r_max;
  const std::int64_t s = a.params.s_max;
  const ibatch row_asym(row.asym_id), row_residue(row.residue_index), row_entity(row.entity_id);
  const ibatch residue_shift(row.residue_index + r), sym_shift(row.sym_id + s);
  const ibatch zero(0), res_top(2 * r), res_other(2 * r + 1), sym_top(2 * s), chain_other(2 * s + 1);
  const ibatch entity_keys(2 * s + 2), chain_keys(a.chain_keys), generic(-1);
  const bool af3 = a.params.chain_term_on_same_entity;
  std::int64_t k = 0;
  for (; k + kLanes <= count; k += kLanes) {
    const std::int64_t j = base + j0 + k;
    const ibatch asym = ibatch::load_unaligned(a.asym_id + j);
    const ibatch residue = ibatch::load_unaligned(a.residue_index + j);
    const ibatch entity = ibatch::load_unaligned(a.entity_id + j);
    const ibatch sym = ibatch::load_unaligned(a.sym_id + j);
    const auto same_chain = asym == row_asym;
    const auto same_entity = entity == row_entity;
    const ibatch d_res =
        xsimd::select(same_chain, xsimd::min(xsimd::max(residue_shift - residue, zero), res_top), res_other);
    const ibatch sym_offset = xsimd::min(xsimd::max(sym_shift - sym, zero), sym_top);
    ibatch key;
    if (af3) {
      key = xsimd::select(same_entity, sym_offset, chain_other);
    } else {
      const ibatch d_chain = xsimd::select(same_chain, chain_other, sym_offset);
      key = xsimd::select(same_entity, d_chain + entity_keys, d_chain);
    }
    key = d_res * chain_keys + key;
    xsimd::select(same_chain & (residue == row_residue), generic, key).store_unaligned(keys + k);
  }
  if (k < count) keys_exact(a, base, row, j0 + k, count - k, keys + k);
}

// |row - column| <= 5000 (ids within +-2^61: no overflow): the Boltz wrap's
// fallback period 10000 leaves such an offset unchanged.
inline bool within_half_fallback(std::int64_t row, std::int64_t column) {
  const std::int64_t offset = row - column;
  return offset >= -kBoltzFallbackPeriod / 2 && offset <= kBoltzFallbackPeriod / 2;
}

// One vector of a pair's fp32 sum into the output, as the mode says.
template <class Arch, OutputMode kMode, bool kStream>
inline void put_fp32(float* target, const xsimd::batch<float, Arch>& sum) {
  if constexpr (kMode == OutputMode::accumulate) {
    (xsimd::batch<float, Arch>::load_unaligned(target) + sum).store_unaligned(target);
  } else if constexpr (kStream) {
    stream_store(target, sum);
  } else {
    sum.store_unaligned(target);
  }
}

// A run of `length` consecutive pairs sharing one finished sum of the pair
// table (fp32 and accumulate modes): each chunk of the sum is loaded into
// registers once and stored (or added) into every pair of the run, so the
// loop moves no more data than memset / `z += 1` over the same bytes. Free
// function with everything in locals: a vector store may alias anything, and
// values reached through a closure would be reloaded after every store.
template <class Arch, OutputMode kMode, bool kStream>
void copy_run_fp32(const float* source, float* target, std::int64_t channels, std::int64_t length) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t kWidth = batch::size;
  constexpr std::int64_t kHeld = 8;
  const std::int64_t vector_end = channels / kWidth * kWidth;
  std::int64_t c = 0;
  for (; c + kHeld * kWidth <= vector_end; c += kHeld * kWidth) {
    batch held[kHeld];
    for (std::int64_t v = 0; v < kHeld; ++v) held[v] = batch::load_aligned(source + c + v * kWidth);
    float* pair = target + c;
    for (std::int64_t t = 0; t < length; ++t, pair += channels)
      for (std::int64_t v = 0; v < kHeld; ++v) put_fp32<Arch, kMode, kStream>(pair + v * kWidth, held[v]);
  }
  for (; c < vector_end; c += kWidth) {
    const batch held = batch::load_aligned(source + c);
    float* pair = target + c;
    for (std::int64_t t = 0; t < length; ++t, pair += channels) put_fp32<Arch, kMode, kStream>(pair, held);
  }
  for (; c < channels; ++c)
    for (std::int64_t t = 0; t < length; ++t) {
      if constexpr (kMode == OutputMode::accumulate) {
        target[t * channels + c] += source[c];
      } else {
        target[t * channels + c] = source[c];
      }
    }
}

// The same for already-rounded bf16 sums: 16 values (32 bytes) per unit where
// AVX is there, else 8 -- the alignment a whole-vector bf16 pair keeps when
// channels % 16 == 0 (what streaming requires).
template <class Arch, bool kStream>
void copy_run_bf16(const bf16_bits* source, bf16_bits* target, std::int64_t channels, std::int64_t length) {
  constexpr std::int64_t kHeld = 8;
  auto copy_units = [source, target, channels, length](auto load, auto put, std::int64_t values) {
    std::int64_t c = 0;
    for (; c + kHeld * values <= channels; c += kHeld * values) {
      decltype(load(source)) held[kHeld];
      for (std::int64_t v = 0; v < kHeld; ++v) held[v] = load(source + c + v * values);
      bf16_bits* pair = target + c;
      for (std::int64_t t = 0; t < length; ++t, pair += channels)
        for (std::int64_t v = 0; v < kHeld; ++v) put(pair + v * values, held[v]);
    }
    for (; c + values <= channels; c += values) {
      const auto held = load(source + c);
      bf16_bits* pair = target + c;
      for (std::int64_t t = 0; t < length; ++t, pair += channels) put(pair, held);
    }
    for (; c < channels; ++c)
      for (std::int64_t t = 0; t < length; ++t) target[t * channels + c] = source[c];
  };
  if constexpr (kIsAvx512<Arch> || kIsAvx<Arch>) {
    copy_units([](const bf16_bits* p) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(p)); },
               [](bf16_bits* p, __m256i v) {
                 if constexpr (kStream) {
                   _mm256_stream_si256(reinterpret_cast<__m256i*>(p), v);
                 } else {
                   _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
                 }
               },
               16);
  } else {
    copy_units([](const bf16_bits* p) { return _mm_load_si128(reinterpret_cast<const __m128i*>(p)); },
               [](bf16_bits* p, __m128i v) {
                 if constexpr (kStream) {
                   _mm_stream_si128(reinterpret_cast<__m128i*>(p), v);
                 } else {
                   _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
                 }
               },
               8);
  }
}

// One output row: its columns as runs of one pair-table key (copied) or as
// single pairs (summed), chain segment by chain segment. `sum_pair(offset,
// row_ids, column)` and `copy_run(offset, length, key)` write in the mode.
template <class Arch, class SumPair, class CopyRun>
void walk_row(const LookupRows& a, std::int64_t row, std::int64_t* keys, SumPair& sum_pair, CopyRun& copy_run) {
  const std::int64_t n = a.tokens;
  const std::int64_t channels = a.channels;
  const bool tabled = a.pair_table != nullptr;
  const std::int64_t b = row / n;
  const std::int64_t i = row % n;
  const std::int64_t base = b * n;
  const TokenIds row_ids = token_at(a, base + i);
  // Columns [begin, end): keys block by block, then runs of equal keys.
  // `unwrapped`: the Boltz wrap changes none of their offsets.
  auto columns = [&](std::int64_t begin, std::int64_t end, bool unwrapped) {
    for (std::int64_t j0 = begin; j0 < end; j0 += kKeyBlock) {
      const std::int64_t count = std::min(kKeyBlock, end - j0);
      if (tabled) {
        if (a.small_ids && unwrapped) {
          keys_vectorised<Arch>(a, base, row_ids, j0, count, keys);
        } else {
          keys_exact(a, base, row_ids, j0, count, keys);
        }
      }
      for (std::int64_t k = 0; k < count;) {
        const std::int64_t offset = (row * n + j0 + k) * channels;
        if (!tabled || keys[k] < 0) {
          sum_pair(offset, row_ids, base + j0 + k);
          ++k;
          continue;
        }
        std::int64_t stop = k + 1;
        while (stop < count && keys[stop] == keys[k]) ++stop;
        copy_run(offset, stop - k, keys[k]);
        k = stop;
      }
    }
  };
  const bool wrap = a.params.wrap;
  if (a.segment_end == nullptr) {
    columns(0, n, !wrap);
    return;
  }
  // A segment of another chain has one key for all its columns: the
  // residue and token terms are "other", the chain term is the segment's.
  auto one_run = [&](std::int64_t begin, std::int64_t end) {
    if (end <= begin) return;
    std::int64_t key = 0;
    keys_exact(a, base, row_ids, begin, 1, &key);
    copy_run((row * n + begin) * channels, end - begin, key);
  };
  const std::int64_t r = a.params.r_max;
  const std::int64_t* residue = a.residue_index + base;
  for (std::int64_t j = 0; j < n;) {
    const std::int64_t stop = a.segment_end[base + j];
    const std::uint8_t flags = a.segment_flags[base + j];
    const bool sorted = (flags & kSegmentSorted) != 0;
    // Under the wrap, a sorted segment of non-cyclic tokens whose ends lie
    // within +-5000 residues of the row keeps every offset as it is (period
    // 10000: nothing folds).
    const bool unwrapped = !wrap || (a.small_ids && sorted && (flags & kSegmentCyclic) == 0 &&
                                     within_half_fallback(row_ids.residue_index, residue[j]) &&
                                     within_half_fallback(row_ids.residue_index, residue[stop - 1]));
    if (a.asym_id[base + j] != row_ids.asym_id) {
      one_run(j, stop);
    } else if (a.small_ids && sorted && unwrapped) {
      // Own chain, residues non-decreasing: only columns within r_max
      // residues of the row vary; before them d_res = 2 r_max, after them
      // 0, never the same residue -- two more runs.
      const std::int64_t lo = std::lower_bound(residue + j, residue + stop, row_ids.residue_index - r) - residue;
      const std::int64_t hi = std::upper_bound(residue + lo, residue + stop, row_ids.residue_index + r) - residue;
      one_run(j, lo);
      columns(lo, hi, true);
      one_run(hi, stop);
    } else {
      columns(j, stop, unwrapped);
    }
    j = stop;
  }
}

// kRound: the bf16 regimes' rounding of each sum before an fp32 store or add
// (the pair table's sums are rounded already; write_bf16 rounds by itself).
template <class Arch, OutputMode kMode, bool kStream, bool kRound>
void lookup_rows(const LookupRows& a) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t kWidth = batch::size;
  const std::int64_t channels = a.channels;
  const std::int64_t vector_end = channels / kWidth * kWidth;
  // Locals, not a.out: a store through float* could alias `a` itself, and the
  // compiler would reload the pointer before every vector store.
  float* const out_fp32 = static_cast<float*>(a.out);
  bf16_bits* const out_bf16 = static_cast<bf16_bits*>(a.out);
  const float* const pair_fp32 = static_cast<const float*>(a.pair_table);
  const bf16_bits* const pair_bf16 = static_cast<const bf16_bits*>(a.pair_table);
  const std::int64_t pair_stride = a.pair_stride;
  alignas(64) std::int64_t keys[kKeyBlock];

  // Stores `sum` (channels c .. c + kWidth) of the pair starting at `offset` as the mode says.
  auto store = [&](std::int64_t offset, std::int64_t c, const batch& sum) {
    if constexpr (kMode == OutputMode::write_fp32) {
      const batch p = kRound ? round_to_bf16(sum) : sum;
      float* target = out_fp32 + offset + c;
      if constexpr (kStream) {
        stream_store(target, p);
      } else {
        p.store_unaligned(target);
      }
    } else if constexpr (kMode == OutputMode::write_bf16) {
      store_bf16<Arch, kStream>(out_bf16 + offset + c, sum);
    } else {
      const batch p = kRound ? round_to_bf16(sum) : sum;
      float* target = out_fp32 + offset + c;
      (batch::load_unaligned(target) + p).store_unaligned(target);
    }
  };
  auto store_scalar = [&](std::int64_t offset, std::int64_t c, float sum) {
    const float p = kRound ? relpos::round_to_bf16(sum) : sum;
    if constexpr (kMode == OutputMode::write_fp32) {
      out_fp32[offset + c] = p;
    } else if constexpr (kMode == OutputMode::write_bf16) {
      out_bf16[offset + c] = bf16_round(p);
    } else {
      out_fp32[offset + c] += p;
    }
  };

  // The four terms in the reference's order: ((res + tok) + entity) + chain.
  auto sum_pair = [&](std::int64_t offset, const TokenIds& row_ids, std::int64_t column) {
    const HotColumns hot = hot_columns(a.params, pair_bins(a.params, row_ids, token_at(a, column)));
    const float* t_res = a.table + hot.residue * a.table_stride;
    const float* t_tok = a.table + hot.token * a.table_stride;
    const float* t_ent = hot.entity >= 0 ? a.table + hot.entity * a.table_stride : nullptr;
    const float* t_chain = a.table + hot.chain * a.table_stride;
    if (t_ent != nullptr) {
      for (std::int64_t c = 0; c < vector_end; c += kWidth)
        store(offset, c,
              ((batch::load_aligned(t_res + c) + batch::load_aligned(t_tok + c)) + batch::load_aligned(t_ent + c)) +
                  batch::load_aligned(t_chain + c));
    } else {
      for (std::int64_t c = 0; c < vector_end; c += kWidth)
        store(offset, c,
              (batch::load_aligned(t_res + c) + batch::load_aligned(t_tok + c)) + batch::load_aligned(t_chain + c));
    }
    for (std::int64_t c = vector_end; c < channels; ++c) {
      float sum = t_res[c] + t_tok[c];
      if (t_ent != nullptr) sum += t_ent[c];
      sum += t_chain[c];
      store_scalar(offset, c, sum);
    }
  };

  auto copy_run = [&](std::int64_t offset, std::int64_t length, std::int64_t key) {
    if constexpr (kMode == OutputMode::write_bf16) {
      copy_run_bf16<Arch, kStream>(pair_bf16 + key * pair_stride, out_bf16 + offset, channels, length);
    } else {
      copy_run_fp32<Arch, kMode, kStream>(pair_fp32 + key * pair_stride, out_fp32 + offset, channels, length);
    }
  };

  for (std::int64_t row = a.row_begin; row < a.row_end; ++row) walk_row<Arch>(a, row, keys, sum_pair, copy_run);
  if constexpr (kStream) _mm_sfence();
}

template <class Arch, OutputMode kMode, bool kRound>
void lookup_rows_stored(const LookupRows& rows) {
  return rows.streaming ? lookup_rows<Arch, kMode, true, kRound>(rows) : lookup_rows<Arch, kMode, false, kRound>(rows);
}

template <class Arch>
void LookupKernel::operator()(Arch, const LookupRows& rows) const {
  switch (rows.mode) {
    case OutputMode::write_fp32:
      return rows.round_result ? lookup_rows_stored<Arch, OutputMode::write_fp32, true>(rows)
                               : lookup_rows_stored<Arch, OutputMode::write_fp32, false>(rows);
    case OutputMode::write_bf16:
      return lookup_rows_stored<Arch, OutputMode::write_bf16, false>(rows);
    case OutputMode::accumulate:
      return rows.round_result ? lookup_rows<Arch, OutputMode::accumulate, false, true>(rows)
                               : lookup_rows<Arch, OutputMode::accumulate, false, false>(rows);
  }
}

}  // namespace relpos::detail
