#include "relpos/bench/bench_layout.hpp"

#include <algorithm>
#include <vector>

namespace relpos::bench {

Layout bench_layout(std::int64_t tokens) {
  std::vector<std::int64_t> asym, residue, entity, sym, token;
  auto add = [&](std::int64_t a, std::int64_t r, std::int64_t e, std::int64_t s) {
    asym.push_back(a);
    residue.push_back(r);
    entity.push_back(e);
    sym.push_back(s);
    token.push_back(static_cast<std::int64_t>(token.size()));
  };
  const std::int64_t copy_length = tokens * 2 / 5;
  const std::int64_t second_length = tokens * 3 / 25;
  for (std::int64_t copy = 0; copy < 2; ++copy)
    for (std::int64_t r = 0; r < copy_length; ++r) add(copy, r + 1, 0, copy);
  // The second protein: residues 1.., the middle one modified and tokenised per atom.
  const std::int64_t modified_atoms = std::min<std::int64_t>(8, second_length);
  const std::int64_t plain = second_length - modified_atoms;
  std::int64_t number = 1;
  for (std::int64_t r = 0; r < plain / 2; ++r) add(2, number++, 1, 0);
  for (std::int64_t a = 0; a < modified_atoms; ++a) add(2, number, 1, 0);
  ++number;
  for (std::int64_t r = plain / 2; r < plain; ++r) add(2, number++, 1, 0);
  // Ligands: every atom a token; each ligand its own chain and entity.
  std::int64_t chain = 3;
  while (static_cast<std::int64_t>(token.size()) < tokens) {
    const std::int64_t atoms = std::min<std::int64_t>(24, tokens - static_cast<std::int64_t>(token.size()));
    for (std::int64_t a = 0; a < atoms; ++a) add(chain, 1, chain - 1, 0);
    ++chain;
  }
  using S = std::span<const std::int64_t>;
  return Layout::from_arrays<std::int64_t>(S(asym), S(residue), S(entity), S(sym), S(token));
}

}  // namespace relpos::bench
