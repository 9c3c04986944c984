#pragma once
// The row loop of the CPU lookup, compiled once per SIMD architecture
// (cpu_lookup_kernel_<arch>.cpp) and chosen at run time by xsimd::dispatch.
#include <cstdint>

#include "relpos/bins.hpp"
#include "relpos/pair_output.hpp"

namespace relpos::detail {

struct LookupRows {
  BinParams params;
  std::int64_t tokens = 0;
  std::int64_t channels = 0;
  const float* table = nullptr;           ///< W^T [F, table_stride], 64-byte aligned rows
  std::int64_t table_stride = 0;          ///< floats per table row, a multiple of 16
  const std::int64_t* asym_id = nullptr;  ///< [B, N] each
  const std::int64_t* residue_index = nullptr;
  const std::int64_t* entity_id = nullptr;
  const std::int64_t* sym_id = nullptr;
  const std::int64_t* token_index = nullptr;
  const std::int64_t* cyclic_period = nullptr;  ///< [B, N]; nullptr: no periods (every token 0)
  OutputMode mode = OutputMode::write_fp32;
  /// The bf16 regimes: each fp32 sum is rounded once to bf16 before it is
  /// stored or added (write_bf16 rounds anyway). The table already holds W as
  /// the regime sums it (bf16-rounded under autocast).
  bool round_result = false;
  void* out = nullptr;         ///< [B, N, N, channels]
  bool streaming = false;      ///< non-temporal stores; requires aligned vectors
  std::int64_t row_begin = 0;  ///< rows of the flattened (b, i) index
  std::int64_t row_end = 0;

  /// Finished sums of every pair whose token term is the "other" bin (every
  /// pair not in the same chain and residue: nearly all of them), row
  /// d_res * chain_keys + chain_key, added in the reference's order; fp32, or
  /// bf16 already rounded in write_bf16 mode. nullptr: every pair is summed.
  const void* pair_table = nullptr;
  std::int64_t pair_stride = 0;  ///< elements per pair-table row (whole 64-byte lines)
  std::int64_t chain_keys = 0;   ///< af3: d_chain (2s+2 values); paper: same_entity * (2s+2) + d_chain
  /// Every residue_index and sym_id within +-2^61: the vectorised key
  /// arithmetic cannot overflow. Otherwise keys come from pair_bins().
  bool small_ids = false;
  /// [B, N]: for the first column j of each maximal run of columns with equal
  /// asym_id, entity_id and sym_id, the end of that run (other entries unused).
  /// Only with a pair table; nullptr = no segments.
  const std::int64_t* segment_end = nullptr;
  /// [B, N], at each segment's first column: kSegmentSorted when residue_index
  /// does not decrease along the segment (then the columns of a row's own
  /// chain away from its residue share keys and need no per-column work),
  /// kSegmentCyclic when some token of it has a positive cyclic period.
  const std::uint8_t* segment_flags = nullptr;
};

inline constexpr std::uint8_t kSegmentSorted = 1;
inline constexpr std::uint8_t kSegmentCyclic = 2;

/// The ids of token `t` (b * N + j) of the flattened [B, N] arrays.
inline TokenIds token_at(const LookupRows& a, std::int64_t t) {
  return TokenIds{a.asym_id[t],     a.residue_index[t], a.entity_id[t],
                  a.sym_id[t],      a.token_index[t],   a.cyclic_period != nullptr ? a.cyclic_period[t] : 0};
}

/// The pair-table key of a chain term: see LookupRows::pair_table.
constexpr std::int64_t chain_key(const BinParams& p, const PairBins& bins) {
  return p.chain_term_on_same_entity ? bins.d_chain : (bins.same_entity ? 2 * p.s_max + 2 : 0) + bins.d_chain;
}
constexpr std::int64_t chain_key_count(const BinParams& p) {
  return p.chain_term_on_same_entity ? 2 * p.s_max + 2 : 2 * (2 * p.s_max + 2);
}

struct LookupKernel {
  template <class Arch>
  void operator()(Arch, const LookupRows& rows) const;
};

}  // namespace relpos::detail
