#pragma once
// Included only by the per-architecture translation units, each compiled
// with that architecture's target flags.
#include <immintrin.h>

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

// Round each lane to bf16 (nearest, ties to even; NaN stays NaN) and store the
// batch::size 16-bit results; the integer rounding is bf16_round's, lane-wise.
template <class Arch, bool kStream>
inline void store_bf16(bf16_bits* target, const xsimd::batch<float, Arch>& value) {
  using ubatch = xsimd::batch<std::uint32_t, Arch>;
  const ubatch bits = xsimd::bitwise_cast<ubatch>(value);
  const ubatch rounded = (bits + (ubatch(0x7fffu) + ((bits >> 16) & ubatch(1u)))) >> 16;
  const ubatch quiet_nan = (bits >> 16) | ubatch(0x0040u);
  using fbatch = xsimd::batch<float, Arch>;
  // select in the float domain: this xsimd has no batch_bool cast between lane types
  const ubatch result = xsimd::bitwise_cast<ubatch>(xsimd::select(
      xsimd::isnan(value), xsimd::bitwise_cast<fbatch>(quiet_nan), xsimd::bitwise_cast<fbatch>(rounded)));
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

template <class Arch, OutputMode kMode, bool kStream>
void lookup_rows(const LookupRows& a) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t kWidth = batch::size;
  const std::int64_t n = a.tokens;
  const std::int64_t channels = a.channels;
  const std::int64_t vector_end = channels / kWidth * kWidth;

  for (std::int64_t row = a.row_begin; row < a.row_end; ++row) {
    const std::int64_t b = row / n;
    const std::int64_t i = row % n;
    const std::int64_t base = b * n;
    const TokenIds row_ids{a.asym_id[base + i], a.residue_index[base + i], a.entity_id[base + i], a.sym_id[base + i],
                           a.token_index[base + i]};
    for (std::int64_t j = 0; j < n; ++j) {
      const TokenIds col_ids{a.asym_id[base + j], a.residue_index[base + j], a.entity_id[base + j],
                             a.sym_id[base + j], a.token_index[base + j]};
      const HotColumns hot = hot_columns(a.params, pair_bins(a.params, row_ids, col_ids));
      const float* t_res = a.table + hot.residue * a.table_stride;
      const float* t_tok = a.table + hot.token * a.table_stride;
      const float* t_ent = hot.entity >= 0 ? a.table + hot.entity * a.table_stride : nullptr;
      const float* t_chain = a.table + hot.chain * a.table_stride;
      const std::int64_t offset = (row * n + j) * channels;

      // The four terms in the reference's order: ((res + tok) + entity) + chain.
      auto store = [&](std::int64_t c, const batch& sum) {
        if constexpr (kMode == OutputMode::write_fp32) {
          float* target = static_cast<float*>(a.out) + offset + c;
          if constexpr (kStream) {
            stream_store(target, sum);
          } else {
            sum.store_unaligned(target);
          }
        } else if constexpr (kMode == OutputMode::write_bf16) {
          store_bf16<Arch, kStream>(static_cast<bf16_bits*>(a.out) + offset + c, sum);
        } else {
          float* target = static_cast<float*>(a.out) + offset + c;
          (batch::load_unaligned(target) + sum).store_unaligned(target);
        }
      };
      if (t_ent != nullptr) {
        for (std::int64_t c = 0; c < vector_end; c += kWidth)
          store(c, ((batch::load_aligned(t_res + c) + batch::load_aligned(t_tok + c)) + batch::load_aligned(t_ent + c)) +
                       batch::load_aligned(t_chain + c));
      } else {
        for (std::int64_t c = 0; c < vector_end; c += kWidth)
          store(c, (batch::load_aligned(t_res + c) + batch::load_aligned(t_tok + c)) + batch::load_aligned(t_chain + c));
      }
      for (std::int64_t c = vector_end; c < channels; ++c) {
        float sum = t_res[c] + t_tok[c];
        if (t_ent != nullptr) sum += t_ent[c];
        sum += t_chain[c];
        if constexpr (kMode == OutputMode::write_fp32) {
          static_cast<float*>(a.out)[offset + c] = sum;
        } else if constexpr (kMode == OutputMode::write_bf16) {
          static_cast<bf16_bits*>(a.out)[offset + c] = bf16_round(sum);
        } else {
          static_cast<float*>(a.out)[offset + c] += sum;
        }
      }
    }
  }
  if constexpr (kStream) _mm_sfence();
}

template <class Arch>
void LookupKernel::operator()(Arch, const LookupRows& rows) const {
  switch (rows.mode) {
    case OutputMode::write_fp32:
      return rows.streaming ? lookup_rows<Arch, OutputMode::write_fp32, true>(rows)
                            : lookup_rows<Arch, OutputMode::write_fp32, false>(rows);
    case OutputMode::write_bf16:
      return rows.streaming ? lookup_rows<Arch, OutputMode::write_bf16, true>(rows)
                            : lookup_rows<Arch, OutputMode::write_bf16, false>(rows);
    case OutputMode::accumulate:
      return lookup_rows<Arch, OutputMode::accumulate, false>(rows);
  }
}

}  // namespace relpos::detail
