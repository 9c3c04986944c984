#pragma once
// The single definition of Algorithm 3's bins (SPEC.md "Bins"). Every backend,
// host or device, the comparator's reports and the property checks call
// pair_bins(); nothing else in the project re-derives a bin.
#include <cstdint>

#include "relpos/config.hpp"
#include "relpos/host_device.hpp"

namespace relpos {

/// The five ids of one token.
struct TokenIds {
  std::int64_t asym_id = 0;
  std::int64_t residue_index = 0;
  std::int64_t entity_id = 0;
  std::int64_t sym_id = 0;
  std::int64_t token_index = 0;
};

/// The four bins of an ordered pair (row i, column j), plus same_chain for reports.
struct PairBins {
  std::int32_t d_res = 0;
  std::int32_t d_tok = 0;
  std::int32_t d_chain = 0;
  bool same_entity = false;
  bool same_chain = false;
};

/// What pair_bins needs from a Config, in a form device code can take by value.
struct BinParams {
  std::int64_t r_max = 32;
  std::int64_t s_max = 2;
  bool chain_term_on_same_entity = true;  ///< af3; false = paper (NOT same_chain)
};

constexpr BinParams bin_params(const Config& config) {
  return BinParams{config.r_max, config.s_max, config.variant == Variant::af3};
}

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

RELPOS_HOST_DEVICE constexpr PairBins pair_bins(const BinParams& p, const TokenIds& row, const TokenIds& col) {
  PairBins bins;
  bins.same_chain = row.asym_id == col.asym_id;
  bins.same_entity = row.entity_id == col.entity_id;
  const bool same_residue = row.residue_index == col.residue_index;
  const std::int64_t other_res = 2 * p.r_max + 1;
  bins.d_res = static_cast<std::int32_t>(
      bins.same_chain ? clipped_offset(row.residue_index, col.residue_index, p.r_max) : other_res);
  bins.d_tok = static_cast<std::int32_t>(
      bins.same_chain && same_residue ? clipped_offset(row.token_index, col.token_index, p.r_max) : other_res);
  const bool chain_term = p.chain_term_on_same_entity ? bins.same_entity : !bins.same_chain;
  bins.d_chain = static_cast<std::int32_t>(chain_term ? clipped_offset(row.sym_id, col.sym_id, p.s_max)
                                                      : 2 * p.s_max + 1);
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
