#pragma once
// RapidCheck generators of complexes as featurisers build them (layout_spec.hpp).
// Sizes grow with RapidCheck's size; every choice shrinks toward the plain
// case: one chain, one copy, one token per residue, no gap, small numbers.
#include <rapidcheck.h>

#include "relpos/harness/layout_spec.hpp"

namespace relpos::harness::gen {

/// One residue: usually one token and step 1; sometimes a numbering gap (small,
/// large, or past the int32 range) or a modified residue tokenised per atom.
rc::Gen<ResidueSpec> residue();
/// A polymer, ligand (every atom a token, one residue_index) or ion, with
/// homomer copies (up to 7, more than any s_max) and a numbering regime.
rc::Gen<ChainSpec> chain();
/// One to five chain specs (a heteromer when more than one), id bases, crop, permutation.
rc::Gen<ComplexSpec> complex();
/// One complex, or a batch of two or three.
rc::Gen<LayoutSpec> layout_spec();

}  // namespace relpos::harness::gen
