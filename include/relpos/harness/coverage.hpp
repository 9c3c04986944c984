#pragma once
// Which feature columns and which boundaries the generated cases exercised.
//
// Configurations differ in F, so a column is named by its block and its
// offset from the block centre: residue offset o means column r_max + o of
// that config. Every config's columns are then a subset of the 177 columns of
// the widest generated config (r_max = 40, s_max = 5); the token block's
// "other" column is counted by cause (other chain / same chain, other
// residue) and the entity column as set / unset, giving 179 labels. Offsets
// beyond +-40 (a scope's fixed r_max above 40) are not tracked.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "relpos/harness/case.hpp"
#include "relpos/harness/scope.hpp"

namespace relpos::harness {

class Coverage {
 public:
  static constexpr int kMaxR = 40;
  static constexpr int kMaxS = 5;

  struct Label {
    std::string name;
    std::int64_t hits = 0;
    /// The scope lets generated cases reach it (a fixed r_max = 32 never hits
    /// "residue +40"); missing() and complete() gate only these.
    bool reachable = true;
  };

  /// Labels the scope cannot reach are reported but not required.
  explicit Coverage(Scope scope = {}) : scope_(std::move(scope)) {}

  /// Counts every ordered pair of every batch element under the case's config.
  void add(const Case& c);
  void merge(const Coverage& other);

  std::int64_t cases() const { return cases_; }
  std::int64_t pairs() const { return pairs_; }
  /// The 179 column labels, in feature order.
  std::vector<Label> columns() const;
  /// Clip and other-chain boundaries and the config/layout extremes.
  std::vector<Label> boundaries() const;
  /// Names of reachable columns and boundaries never hit.
  std::vector<std::string> missing() const;
  bool complete() const { return missing().empty(); }
  /// The distribution, a few lines per block.
  std::string table() const;
  /// "179/179 columns, 33/33 boundaries" (the counts depend on the scope).
  std::string summary() const;

 private:
  enum Boundary {
    residue_clipped_low, residue_clipped_high, residue_at_minus_r, residue_at_plus_r,
    token_clipped_low, token_clipped_high, token_at_minus_r, token_at_plus_r,
    sym_clipped_low, sym_clipped_high, sym_at_minus_s, sym_at_plus_s,
    other_chain_same_entity, same_chain_paper_variant, residue_difference_beyond_int32, ids_beyond_int32,
    r_max_zero, s_max_zero, r_max_widest, s_max_widest, batch_of_several,
    // Boltz cyclic offsets (SPEC.md part 2), reachable when the scope allows cyclic = boltz.
    cyclic_wrapped, cyclic_tie, cyclic_fallback_fold, cyclic_numbering_beyond_2_24, cyclic_homomer,
    cyclic_mixed_periods, cyclic_batch_whole_rule, cyclic_paper_variant, cyclic_shiftable_chain,
    // Precision regimes of the generated cases.
    precision_fp32, precision_bf16, precision_bf16_autocast, kBoundaryCount
  };
  static const char* boundary_name(int boundary);
  bool reachable(Boundary boundary) const;
  void add_cyclic_pair(const BinParams& params, const TokenIds& row, const TokenIds& col, bool same_entity);

  std::array<std::int64_t, 2 * kMaxR + 1> residue_{};
  std::int64_t residue_other_chain_ = 0;
  std::array<std::int64_t, 2 * kMaxR + 1> token_{};
  std::int64_t token_other_chain_ = 0;
  std::int64_t token_other_residue_ = 0;
  std::int64_t entity_set_ = 0;
  std::int64_t entity_unset_ = 0;
  std::array<std::int64_t, 2 * kMaxS + 1> chain_{};
  std::int64_t chain_other_ = 0;
  std::array<std::int64_t, kBoundaryCount> boundaries_{};
  std::int64_t cases_ = 0;
  std::int64_t pairs_ = 0;
  Scope scope_;
};

}  // namespace relpos::harness
