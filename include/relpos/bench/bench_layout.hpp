#pragma once
// The complex every benchmark runs on: deterministic for each N and shaped
// like a typical AF3 input, so the fraction of each pair kind is realistic.
#include <cstdint>

#include "relpos/layout.hpp"

namespace relpos::bench {

/// N tokens: a homodimer (two copies of one protein entity, 40% of the tokens
/// each), a second protein (12%) with one modified residue tokenised per atom
/// (8 tokens), and the rest as ligands of up to 24 atom-tokens each (one
/// residue_index per ligand). Residues are numbered from 1, token_index is a
/// global counter. Small N degrade gracefully (N = 0 gives an empty layout).
/// With `cyclic` the layout carries Boltz periods and the second protein is a
/// cyclic chain (period: its residue count); every other token is linear.
Layout bench_layout(std::int64_t tokens, bool cyclic = false);

}  // namespace relpos::bench
