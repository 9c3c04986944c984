#pragma once
// Builds token layouts the way AF3-family featurisers do: one token per
// standard polymer residue, one token per atom for modified residues and
// ligands, a global token counter, homomer copies sharing entity_id.
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "relpos/layout.hpp"

namespace relpos {

/// Ids of one chain instance, and its cyclic period (Boltz: the chain's
/// residue count for a cyclic peptide; 0 = not cyclic).
struct ChainIds {
  std::int64_t asym_id = 0;
  std::int64_t entity_id = 0;
  std::int64_t sym_id = 0;
  std::int64_t cyclic_period = 0;
};

class ComplexBuilder {
 public:
  /// token_index starts here (featurisers start at 0; a crop keeps the original values).
  explicit ComplexBuilder(std::int64_t first_token_index = 0) : next_token_(first_token_index) {}

  /// Every layout built carries per-token periods, even when all are 0 (what
  /// a featuriser with cyclic_period support writes for a linear complex).
  ComplexBuilder& with_periods() {
    periods_ = true;
    return *this;
  }
  /// One token per residue number, in the order given (gaps and offsets allowed).
  ComplexBuilder& residues(const ChainIds& chain, std::span<const std::int64_t> residue_numbers);
  ComplexBuilder& residues(const ChainIds& chain, std::initializer_list<std::int64_t> residue_numbers) {
    return residues(chain, std::span<const std::int64_t>(residue_numbers.begin(), residue_numbers.size()));
  }
  /// Residues first .. first + count - 1, one token each.
  ComplexBuilder& residue_range(const ChainIds& chain, std::int64_t first, std::int64_t count);
  /// A residue tokenised per atom (modified residue, or a ligand's component):
  /// `atoms` tokens sharing `residue` with consecutive token_index.
  ComplexBuilder& per_atom(const ChainIds& chain, std::int64_t residue, std::int64_t atoms);
  /// A ligand: every atom a token, all sharing one residue_index, in its own chain.
  ComplexBuilder& ligand(const ChainIds& chain, std::int64_t atoms, std::int64_t residue = 1) {
    return per_atom(chain, residue, atoms);
  }
  /// An ion: one atom, one token, its own chain.
  ComplexBuilder& ion(const ChainIds& chain, std::int64_t residue = 1) { return per_atom(chain, residue, 1); }

  std::int64_t tokens() const { return static_cast<std::int64_t>(asym_.size()); }
  Layout build() const;

 private:
  void token(const ChainIds& chain, std::int64_t residue);
  std::vector<std::int64_t> asym_, residue_, entity_, sym_, token_, period_;
  std::int64_t next_token_ = 0;
  bool periods_ = false;
};

/// The tokens at `positions` (0-based, increasing) of an unbatched layout,
/// every id and period kept: after a crop token_index is non-contiguous and starts wherever
/// the first kept token was.
Layout crop(const Layout& layout, std::span<const std::int64_t> positions);

}  // namespace relpos
