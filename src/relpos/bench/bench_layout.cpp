#include "relpos/bench/bench_layout.hpp"

#include <algorithm>

#include "relpos/layouts/complex_builder.hpp"

namespace relpos::bench {

Layout bench_layout(std::int64_t tokens, bool cyclic) {
  ComplexBuilder builder;
  if (cyclic) builder.with_periods();
  const std::int64_t copy_length = tokens * 2 / 5;
  const std::int64_t second_length = tokens * 3 / 25;
  for (std::int64_t copy = 0; copy < 2; ++copy) builder.residue_range({copy, 0, copy}, 1, copy_length);
  // The second protein: residues 1.., the middle one modified and tokenised per atom.
  const std::int64_t modified_atoms = std::min<std::int64_t>(8, second_length);
  const std::int64_t plain = second_length - modified_atoms;
  // Residues: plain ones plus the modified one (several atom tokens, one residue).
  const std::int64_t second_residues = plain + (modified_atoms > 0 ? 1 : 0);
  const ChainIds second{2, 1, 0, cyclic ? second_residues : 0};
  builder.residue_range(second, 1, plain / 2)
      .per_atom(second, plain / 2 + 1, modified_atoms)
      .residue_range(second, plain / 2 + 2, plain - plain / 2);
  // Ligands: every atom a token; each ligand its own chain and entity.
  for (std::int64_t chain = 3; builder.tokens() < tokens; ++chain)
    builder.ligand({chain, chain - 1, 0}, std::min<std::int64_t>(24, tokens - builder.tokens()));
  return builder.build();
}

}  // namespace relpos::bench
