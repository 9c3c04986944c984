#pragma once
// One test case of the property suite: a problem (config, layout, weights)
// plus the concrete parameters the metamorphic properties apply to it. Every
// field is a plain value, so a case can be printed, saved as JSON and replayed
// without the generator that produced it.
#include <cstdint>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "relpos/config.hpp"
#include "relpos/layout.hpp"
#include "relpos/problem.hpp"
#include "relpos/weights.hpp"

namespace relpos::harness {

/// An injective relabelling of one id field: each (old, new) pair maps every
/// token whose id is `old` to `new`; ids not listed keep their value.
using Relabelling = std::vector<std::pair<std::int64_t, std::int64_t>>;

/// What the metamorphic and determinism properties do to a case.
struct Transform {
  std::vector<std::int64_t> permutation;  ///< token t of the permuted layout is token permutation[t]
  std::int64_t residue_shift = 0;         ///< added to every residue_index
  std::int64_t token_shift = 0;           ///< added to every token_index
  std::int64_t sym_shift = 0;             ///< added to every sym_id
  Relabelling asym_relabelling;
  Relabelling entity_relabelling;
  std::int64_t chunk_rows = 1;  ///< the chunk size compared with the default one
  int threads = 1;              ///< the thread count compared with one thread
  std::uint64_t accumulator_seed = 0;  ///< initial values of the accumulate property
  std::int64_t period_multiple = 1;    ///< periods the cyclic-shift property adds (see shift_by_periods)

  friend bool operator==(const Transform&, const Transform&) = default;
};

struct Case {
  Config config;
  Layout layout;
  Weights weights;
  Transform transform;

  Problem problem() const { return Problem{config, layout, weights}; }
  /// Tokens over the whole batch: B * N (what "size of a counterexample" means).
  std::int64_t total_tokens() const { return layout.batch() * layout.tokens(); }

  friend bool operator==(const Case& a, const Case& b);
};

/// Throws InputError when the transform does not fit the layout (a permutation
/// of the wrong length or not a permutation, a relabelling that is not
/// injective, a shift that would overflow int64, chunk_rows < 1, threads < 1).
void validate(const Case& c);

/// The layout with its tokens reordered: result token t = layout token permutation[t].
Layout permute_tokens(const Layout& layout, const std::vector<std::int64_t>& permutation);
/// The [B, N, N, c] tensor of `output` as the permuted layout must produce it.
xt::xtensor<float, 4> permute_pairs(const xt::xtensor<float, 4>& output, const std::vector<std::int64_t>& permutation);
/// Every id of `field` plus `shift` (the caller guarantees no overflow: see validate()).
Layout add_to_field(const Layout& layout, IdField field, std::int64_t shift);
Layout relabel_field(const Layout& layout, IdField field, const Relabelling& relabelling);

/// `multiple` periods added to the residue_index of every token with an odd
/// residue_index in each chain (asym_id of a batch element) whose tokens all
/// carry one odd period P < 2^20, whose residues lie within (-2^20, 2^20) and
/// span less than P. Under the Boltz wrap nothing changes: offsets move by whole
/// periods, odd P has no ties, everything stays exact in float32, and no two
/// residues of the chain meet. Other chains are untouched.
Layout shift_by_periods(const Layout& layout, std::int64_t multiple);

/// The initial tensor of the accumulate property: finite values, some zeros,
/// reproducible from the seed.
xt::xtensor<float, 4> initial_accumulator(const Case& c);

/// The grad_output G [B, N, N, c_z] the gradient properties use, reproducible
/// from the accumulator seed: standard normal values half the time, small
/// integers in [-4, 4] (a third of them 0) otherwise. Integer G sums exactly in
/// any order, so a wrong or missing term cannot hide inside the any-order bound.
xt::xtensor<float, 4> grad_output_for(const Case& c);

}  // namespace relpos::harness
