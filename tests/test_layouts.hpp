#pragma once
// Small hand-built complexes for the unit tests, built the way featurisers build them.
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

#include "relpos/config.hpp"
#include "relpos/layout.hpp"
#include "relpos/layouts/complex_builder.hpp"

namespace relpos::testing {


inline Layout monomer(std::int64_t residues, std::int64_t first_residue) {
  return ComplexBuilder().residue_range({0, 0, 0}, first_residue, residues).build();
}

/// `copies` chains of one entity, sym_id 0, 1, 2, ...
inline Layout homomer(std::int64_t copies, std::int64_t residues) {
  ComplexBuilder builder;
  for (std::int64_t copy = 0; copy < copies; ++copy) builder.residue_range({copy, 0, copy}, 1, residues);
  return builder.build();
}

/// A 12-residue protein, a 6-atom ligand (every atom a token, one residue_index), an ion.
inline Layout protein_with_ligand() {
  return ComplexBuilder().residue_range({0, 0, 0}, 0, 12).per_atom({1, 1, 0}, 0, 6).per_atom({2, 2, 0}, 0, 1).build();
}

/// Residues 5..8, residue 9 modified and tokenised per atom (4 tokens), then a
/// numbering gap to 40..44; a second copy of the entity follows.
inline Layout modified_residue_with_gap() {
  return ComplexBuilder()
      .residue_range({0, 0, 0}, 5, 4)
      .per_atom({0, 0, 0}, 9, 4)
      .residue_range({0, 0, 0}, 40, 5)
      .residue_range({1, 0, 1}, 5, 6)
      .build();
}

/// Three different complexes of 9 tokens each, stacked to [3, 9].
inline Layout batch_of_three() {
  const std::vector<Layout> elements = {
      monomer(9, 3),
      homomer(3, 3),
      ComplexBuilder().residue_range({0, 0, 0}, 1, 5).per_atom({1, 1, 0}, 0, 4).build(),
  };
  return Layout::stack(elements);
}

/// Polymer chains of these lengths, residues from 1; entity and sym alternate (asym % 2, asym / 2).
inline Layout chains(std::initializer_list<std::int64_t> lengths) {
  ComplexBuilder builder;
  std::int64_t asym = 0;
  for (std::int64_t length : lengths) {
    builder.residue_range({asym, asym % 2, asym / 2}, 1, length);
    ++asym;
  }
  return builder.build();
}

struct LayoutCase {
  std::string name;
  Config config;
  Layout layout;
};

inline void PrintTo(const LayoutCase& c, std::ostream* os) { *os << c.name; }

/// The layouts every backend is held to the reference on (cpu, onehot-blas, cuda).
inline std::vector<LayoutCase> backend_layout_cases() {
  return {
      {"monomer", Config{}, monomer(40, 1)},
      {"homotrimer", Config{8, 1, 24}, homomer(3, 7)},
      {"ligand_complex", Config{4, 2, 17}, protein_with_ligand()},
      {"modified_residue_gap", Config{3, 2, 5}, modified_residue_with_gap()},
      {"r_max_zero", Config{0, 0, 3}, homomer(2, 5)},
      {"single_token", Config{32, 2, 128}, monomer(1, 0)},
      {"empty", Config{32, 2, 128}, monomer(0, 0)},
      {"batched", Config{5, 2, 33}, batch_of_three()},
  };
}

}  // namespace relpos::testing
