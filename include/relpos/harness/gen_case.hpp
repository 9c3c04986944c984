#pragma once
// The generator of whole cases: layout spec, config, weights and the
// transform the metamorphic properties apply, built into a plain Case.
#include <cstdint>

#include <rapidcheck.h>

#include "relpos/harness/case.hpp"
#include "relpos/harness/layout_spec.hpp"
#include "relpos/harness/scope.hpp"
#include "relpos/harness/weight_spec.hpp"

namespace relpos::harness {

/// What keeps one case cheap: the reference costs B * N^2 * c_z * F.
struct CaseLimits {
  std::int64_t max_tokens = 64;         ///< N at most
  std::int64_t max_elements = 160000;   ///< B * N^2 * max(c_z, 8) at most
  /// Every id, and every id the transforms make, fits int32 (AF3 / OpenFold3
  /// hold ids as int32): layouts with larger ids are not generated.
  bool int32_ids = false;
};

bool ids_fit_int32(const Layout& layout);
/// The layout and every layout its transform makes fit int32.
bool ids_fit_int32(const Case& c);

/// N allowed for this config and batch under `limits`.
std::int64_t token_limit(const Config& config, std::int64_t batch, const CaseLimits& limits);

/// The generated parameters of a Transform, before the layout is known.
struct TransformSpec {
  bool reverse_permutation = true;  ///< else a random one
  std::uint64_t permutation_seed = 0;
  std::int64_t residue_shift = 1;
  std::int64_t token_shift = 1;
  std::int64_t sym_shift = 1;
  bool shuffle_labels = false;  ///< relabelling: shuffle the distinct ids (else keep their order)
  std::uint64_t relabel_seed = 0;
  std::int64_t asym_offset = 1;
  std::int64_t entity_offset = 1;
  std::int64_t chunk_rows = 1;
  int threads = 2;
  std::uint64_t accumulator_seed = 0;
  std::int64_t period_multiple = 1;
};

/// The concrete transform for `layout`; shifts and offsets are clamped so no id
/// leaves int64 (int32 with `int32_ids`).
Transform build_transform(const TransformSpec& spec, const Layout& layout, bool int32_ids = false);

Case build_case(const LayoutSpec& layout, const Config& config, const WeightSpec& weights,
                const TransformSpec& transform, const CaseLimits& limits = {});

namespace gen {

rc::Gen<TransformSpec> transform_spec();
/// Whole cases within `scope`; shrinking goes to fewer chains and tokens
/// first, then to a smaller config, then to simpler weights and transforms.
rc::Gen<Case> case_(const CaseLimits& limits = {}, const Scope& scope = {});

}  // namespace gen
}  // namespace relpos::harness
