#pragma once
// A complex described the way a featuriser sees it: chains of residues, each
// residue one token or several (per-atom), homomer copies, then cropping and
// an optional permutation. Generated as this structured value and built into
// a Layout, so that shrinking removes chains and residues, not array entries.
#include <cstdint>
#include <string>
#include <vector>

#include "relpos/layout.hpp"

namespace relpos::harness {

enum class ChainKind { polymer, ligand, ion };
std::string_view to_string(ChainKind kind);

/// Where a chain's residue numbering starts.
enum class Numbering {
  from_one,        ///< 1, 2, 3, ... (mmCIF label_seq_id)
  from_zero,       ///< 0, 1, 2, ...
  offset,          ///< offset, offset + 1, ... (author numbering; may be negative)
  near_int32_max,  ///< ends `offset` below INT32_MAX
  near_int32_min,  ///< starts `offset` above INT32_MIN
  near_int64_max,  ///< ends `offset` below INT64_MAX
  near_int64_min,  ///< starts `offset` above INT64_MIN
};
std::string_view to_string(Numbering numbering);

struct ResidueSpec {
  std::int64_t step = 1;   ///< residue_index increase from the previous residue (> 1 is a numbering gap)
  std::int32_t atoms = 1;  ///< tokens of this residue: 1, or > 1 for a residue tokenised per atom
};

/// A chain's cyclic_period (Boltz): what a featuriser gives its tokens.
enum class Periodicity {
  linear,  ///< 0 for every token
  cyclic,  ///< every token the chain's period (its residue count, + period_delta)
  mixed,   ///< the period on residues at even positions, 0 on the others (one chain, two periods)
};
std::string_view to_string(Periodicity periodicity);

struct ChainSpec {
  ChainKind kind = ChainKind::polymer;
  std::int32_t copies = 1;      ///< homomer copies: each its own asym_id, one shared entity_id
  std::int64_t first_sym = 0;   ///< sym_id of the first copy (0- or 1-based)
  Numbering numbering = Numbering::from_one;
  std::int64_t offset = 0;      ///< see Numbering
  std::vector<ResidueSpec> residues;  ///< a ligand or ion is one residue of `atoms` tokens
  Periodicity periodicity = Periodicity::linear;  ///< polymers only: ligands and ions are never cyclic
  std::int64_t period_delta = 0;  ///< period = residue count + delta, at least 1 (a short period gives offsets beyond it)
};

enum class CropKind {
  none,
  window,  ///< a contiguous run of tokens
  subset,  ///< a random subset kept in order (token_index becomes non-contiguous)
};
std::string_view to_string(CropKind kind);

struct CropSpec {
  CropKind kind = CropKind::none;
  std::int32_t keep_permille = 1000;  ///< fraction of tokens kept
  std::int32_t start_permille = 0;    ///< window: where it starts among the possible starts
  std::uint64_t seed = 0;             ///< subset: which tokens
};

struct ComplexSpec {
  std::vector<ChainSpec> chains;
  std::int64_t asym_base = 0;    ///< asym_id of the first chain copy; later copies count up
  std::int64_t entity_base = 0;  ///< entity_id of the first chain spec; later specs count up
  std::int64_t token_base = 0;   ///< token_index of the first token before cropping
  CropSpec crop;
  bool permuted = false;  ///< tokens shuffled (as some pipelines order by atom type or after crop)
  std::uint64_t permutation_seed = 0;
};

struct LayoutSpec {
  std::vector<ComplexSpec> elements;  ///< more than one: a batch
  bool batched = false;               ///< a [1, N] batch when there is one element
};

/// The unbatched layout of one complex with every token's cyclic_period:
/// chains in order, token_index a global counter from token_base, then the
/// crop, then the permutation.
Layout build_complex(const ComplexSpec& spec);

/// The layout: each element built, cut to `max_tokens` and to the shortest
/// element (so all have the same N), stacked when batched. Never empty.
Layout build_layout(const LayoutSpec& spec, std::int64_t max_tokens);

/// Tokens `first .. first + count` of every element.
Layout token_window(const Layout& layout, std::int64_t first, std::int64_t count);

}  // namespace relpos::harness
