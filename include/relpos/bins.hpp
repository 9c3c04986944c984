#pragma once
// The single definition of Algorithm 3's bins (SPEC.md "Bins" and part 2
// "Cyclic residue offsets"). Every backend, host or device, the comparator's
// reports and the property checks call these functions; one function per
// term, and the variant and cyclic axes enter here and nowhere else.
#include <cmath>
#include <cstdint>

#include "relpos/config.hpp"
#include "relpos/host_device.hpp"

namespace relpos {

/// The five ids of one token, and its cyclic period (0: not cyclic).
struct TokenIds {
  std::int64_t asym_id = 0;
  std::int64_t residue_index = 0;
  std::int64_t entity_id = 0;
  std::int64_t sym_id = 0;
  std::int64_t token_index = 0;
  std::int64_t cyclic_period = 0;
};

/// The four bins of an ordered pair (row i, column j), plus same_chain for reports.
struct PairBins {
  std::int32_t d_res = 0;
  std::int32_t d_tok = 0;
  std::int32_t d_chain = 0;
  bool same_entity = false;
  bool same_chain = false;
};

/// What the bins need from a Config and its input, in a form device code can take by value.
struct BinParams {
  std::int64_t r_max = 32;
  std::int64_t s_max = 2;
  bool chain_term_on_same_entity = true;  ///< af3; false = paper (NOT same_chain)
  /// Boltz cyclic wrap in force: cyclic = boltz and some token of the WHOLE
  /// input (every batch element) has cyclic_period > 0 (SPEC.md part 2).
  bool wrap = false;
};

/// `any_cyclic`: some token of the whole input has a positive cyclic_period.
constexpr BinParams bin_params(const Config& config, bool any_cyclic = false) {
  return BinParams{config.r_max, config.s_max, config.variant == Variant::af3,
                   config.cyclic == Cyclic::boltz && any_cyclic};
}

/// The period Boltz gives every non-cyclic token once any token is cyclic.
inline constexpr std::int64_t kBoltzFallbackPeriod = 10000;

/// clip(a - b + r, 0, 2r) for any int64 a, b: a - b is never formed in signed
/// arithmetic, so ids anywhere in int64 are safe.
RELPOS_HOST_DEVICE constexpr std::int64_t clipped_offset(std::int64_t a, std::int64_t b, std::int64_t r) {
  if (a >= b) {
    const std::uint64_t d = static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b);
    return d >= static_cast<std::uint64_t>(r) ? 2 * r : r + static_cast<std::int64_t>(d);
  }
  const std::uint64_t d = static_cast<std::uint64_t>(b) - static_cast<std::uint64_t>(a);
  return d >= static_cast<std::uint64_t>(r) ? 0 : r - static_cast<std::int64_t>(d);
}

namespace fl32 {
// float32 arithmetic rounded to nearest even, one rounding per operation and
// never contracted: the device intrinsics say so explicitly, host code is
// compiled with -ffp-contract=off (and x86-64 evaluates float in float).
RELPOS_HOST_DEVICE inline float from_unsigned(std::uint64_t value) {
#if defined(__CUDA_ARCH__)
  return __ull2float_rn(value);
#else
  return static_cast<float>(value);
#endif
}
RELPOS_HOST_DEVICE inline float divide(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}
RELPOS_HOST_DEVICE inline float multiply(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
RELPOS_HOST_DEVICE inline float subtract(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}
/// Round half to even (torch.round), in the default rounding mode.
RELPOS_HOST_DEVICE inline float round_half_even(float value) {
#if defined(__CUDA_ARCH__)
  return rintf(value);
#else
  return std::nearbyint(value);
#endif
}
}  // namespace fl32

/// The Boltz-wrapped residue offset of (row, col), clipped: clip(o' + r, 0, 2r) with
/// o' = trunc(fl32(fl32(o) - fl32(fl32(P) * round_half_even(fl32(fl32(o) / fl32(P)))))),
/// o = a - b exact, P = the column token's period (kBoltzFallbackPeriod when not positive).
RELPOS_HOST_DEVICE inline std::int64_t boltz_wrapped_offset(std::int64_t a, std::int64_t b, std::int64_t col_period,
                                                            std::int64_t r) {
  const bool negative = a < b;
  const std::uint64_t magnitude = negative ? static_cast<std::uint64_t>(b) - static_cast<std::uint64_t>(a)
                                           : static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b);
  const float offset = negative ? -fl32::from_unsigned(magnitude) : fl32::from_unsigned(magnitude);
  const float period =
      fl32::from_unsigned(static_cast<std::uint64_t>(col_period > 0 ? col_period : kBoltzFallbackPeriod));
  const float quotient = fl32::round_half_even(fl32::divide(offset, period));
  const float wrapped = fl32::subtract(offset, fl32::multiply(period, quotient));
  // Beyond +-2^62 the clip decides alone (and the conversion below would overflow).
  if (wrapped >= 0x1p62f) return 2 * r;
  if (wrapped <= -0x1p62f) return 0;
  const auto truncated = static_cast<std::int64_t>(wrapped);  // toward zero, as .long()
  return truncated >= r ? 2 * r : (truncated <= -r ? 0 : truncated + r);
}

/// d_res: the (possibly wrapped) clipped residue offset within a chain, 2 r_max + 1 across chains.
RELPOS_HOST_DEVICE inline std::int64_t residue_bin(const BinParams& p, const TokenIds& row, const TokenIds& col) {
  if (row.asym_id != col.asym_id) return 2 * p.r_max + 1;
  return p.wrap ? boltz_wrapped_offset(row.residue_index, col.residue_index, col.cyclic_period, p.r_max)
                : clipped_offset(row.residue_index, col.residue_index, p.r_max);
}

/// d_tok: the clipped token offset within one residue of one chain, 2 r_max + 1 otherwise.
RELPOS_HOST_DEVICE constexpr std::int64_t token_bin(const BinParams& p, const TokenIds& row, const TokenIds& col) {
  return row.asym_id == col.asym_id && row.residue_index == col.residue_index
             ? clipped_offset(row.token_index, col.token_index, p.r_max)
             : 2 * p.r_max + 1;
}

/// The entity column is set iff the two tokens belong to one entity.
RELPOS_HOST_DEVICE constexpr bool entity_bit(const TokenIds& row, const TokenIds& col) {
  return row.entity_id == col.entity_id;
}

/// d_chain: the clipped sym offset where the variant's chain term holds, 2 s_max + 1 otherwise.
RELPOS_HOST_DEVICE constexpr std::int64_t chain_bin(const BinParams& p, const TokenIds& row, const TokenIds& col) {
  const bool chain_term = p.chain_term_on_same_entity ? entity_bit(row, col) : row.asym_id != col.asym_id;
  return chain_term ? clipped_offset(row.sym_id, col.sym_id, p.s_max) : 2 * p.s_max + 1;
}

RELPOS_HOST_DEVICE inline PairBins pair_bins(const BinParams& p, const TokenIds& row, const TokenIds& col) {
  PairBins bins;
  bins.same_chain = row.asym_id == col.asym_id;
  bins.same_entity = entity_bit(row, col);
  bins.d_res = static_cast<std::int32_t>(residue_bin(p, row, col));
  bins.d_tok = static_cast<std::int32_t>(token_bin(p, row, col));
  bins.d_chain = static_cast<std::int32_t>(chain_bin(p, row, col));
  return bins;
}

/// The feature columns a pair sets to one (the entity column only when same_entity).
struct HotColumns {
  std::int32_t residue = 0;
  std::int32_t token = 0;
  std::int32_t entity = -1;  ///< -1 when the entity column is zero
  std::int32_t chain = 0;
};

RELPOS_HOST_DEVICE constexpr HotColumns hot_columns(const BinParams& p, const PairBins& bins) {
  const auto token_offset = static_cast<std::int32_t>(2 * p.r_max + 2);
  const auto entity_column = static_cast<std::int32_t>(4 * p.r_max + 4);
  return HotColumns{bins.d_res, token_offset + bins.d_tok, bins.same_entity ? entity_column : -1,
                    entity_column + 1 + bins.d_chain};
}

}  // namespace relpos
