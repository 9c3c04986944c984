#pragma once
// Small hand-built complexes for the unit tests, built the way featurisers build them.
#include <cstdint>
#include <vector>

#include "relpos/layout.hpp"

namespace relpos::testing {

/// Appends tokens chain by chain; token_index is a global counter.
class LayoutBuilder {
 public:
  /// A polymer chain: one token per residue, numbered from `first_residue`.
  LayoutBuilder& polymer(std::int64_t asym, std::int64_t entity, std::int64_t sym, std::int64_t first_residue,
                         std::int64_t residues) {
    for (std::int64_t r = 0; r < residues; ++r) token(asym, first_residue + r, entity, sym);
    return *this;
  }
  /// One residue tokenised per atom: `atoms` tokens sharing a residue_index.
  LayoutBuilder& per_atom(std::int64_t asym, std::int64_t entity, std::int64_t sym, std::int64_t residue,
                          std::int64_t atoms) {
    for (std::int64_t a = 0; a < atoms; ++a) token(asym, residue, entity, sym);
    return *this;
  }
  LayoutBuilder& token(std::int64_t asym, std::int64_t residue, std::int64_t entity, std::int64_t sym) {
    asym_.push_back(asym);
    residue_.push_back(residue);
    entity_.push_back(entity);
    sym_.push_back(sym);
    token_.push_back(next_token_++);
    return *this;
  }
  Layout build() const {
    using S = std::span<const std::int64_t>;
    return Layout::from_arrays<std::int64_t>(S(asym_), S(residue_), S(entity_), S(sym_), S(token_));
  }

 private:
  std::vector<std::int64_t> asym_, residue_, entity_, sym_, token_;
  std::int64_t next_token_ = 0;
};

inline Layout monomer(std::int64_t residues, std::int64_t first_residue) {
  return LayoutBuilder().polymer(0, 0, 0, first_residue, residues).build();
}

/// `copies` chains of one entity, sym_id 0, 1, 2, ...
inline Layout homomer(std::int64_t copies, std::int64_t residues) {
  LayoutBuilder builder;
  for (std::int64_t copy = 0; copy < copies; ++copy) builder.polymer(copy, 0, copy, 1, residues);
  return builder.build();
}

/// A 12-residue protein, a 6-atom ligand (every atom a token, one residue_index), an ion.
inline Layout protein_with_ligand() {
  return LayoutBuilder().polymer(0, 0, 0, 0, 12).per_atom(1, 1, 0, 0, 6).per_atom(2, 2, 0, 0, 1).build();
}

/// Residues 5..8, residue 9 modified and tokenised per atom (4 tokens), then a
/// numbering gap to 40..44; a second copy of the entity follows.
inline Layout modified_residue_with_gap() {
  return LayoutBuilder()
      .polymer(0, 0, 0, 5, 4)
      .per_atom(0, 0, 0, 9, 4)
      .polymer(0, 0, 0, 40, 5)
      .polymer(1, 0, 1, 5, 6)
      .build();
}

/// Three different complexes of 9 tokens each, stacked to [3, 9].
inline Layout batch_of_three() {
  const std::vector<Layout> elements = {
      monomer(9, 3),
      homomer(3, 3),
      LayoutBuilder().polymer(0, 0, 0, 1, 5).per_atom(1, 1, 0, 0, 4).build(),
  };
  return Layout::stack(elements);
}

}  // namespace relpos::testing
