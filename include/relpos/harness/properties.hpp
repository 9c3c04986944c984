#pragma once
// The laws every implementation must obey, each checkable on one case
// without RapidCheck (so saved regression cases replay through the same code).
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "relpos/errors.hpp"
#include "relpos/harness/case.hpp"
#include "relpos/harness/implementation.hpp"
#include "relpos/harness/scope.hpp"
#include "relpos/policy.hpp"

namespace relpos::harness {

enum class Property {
  // Equivalence to the reference (the sequential one-hot product), one per precision regime.
  fp32,           ///< write_fp32 equals the reference under the policy
  bf16,           ///< write_bf16 equals the reference rounded once to bf16
  bf16_autocast,  ///< write_bf16 under autocast (W rounded to bf16 first) equals the reference's
  accumulate,     ///< accumulate into z0 equals z0 + reference (in the case's regime)
  // Structure, read through probe weights (exact in any summation order).
  structure,   ///< exactly 3 + same_entity hot columns, one per block; offsets antisymmetric
  // Metamorphic relations.
  permutation,     ///< permuting tokens permutes rows and columns of the output
  residue_shift,   ///< residue_index + constant changes nothing
  token_shift,     ///< token_index + constant changes nothing
  sym_shift,       ///< sym_id + constant changes nothing
  asym_relabel,    ///< a bijective relabelling of asym_id changes nothing
  entity_relabel,  ///< a bijective relabelling of entity_id changes nothing
  // Determinism: not a single bit may change.
  batch_split,  ///< a batch computed at once equals its elements computed alone
  chunk_rows,   ///< another chunk size
  threads,      ///< another thread count
  // Cyclic chains (Boltz).
  cyclic_shift,  ///< whole periods added to residues of an odd-period cyclic chain change nothing
  // Past one tile (the scale tier, gen_scale.hpp).
  scale,  ///< N from 65 to 2049 at tile boundaries equals the proven lookup, pair by pair
  // Backward: the weight gradient dW of sum(p * G) (SPEC.md part 2); fp32, whatever the case's regime.
  grad,               ///< dW equals the sequential reference (bitwise, or within the any-order bound)
  grad_permutation,   ///< permuting the tokens and G with them keeps dW
  grad_additivity,    ///< dW adds up over row chunks of G and over batch elements
  grad_column_sums,   ///< per channel, each block of dW sums to the sum of G over all pairs
  grad_threads,       ///< another thread count changes not a bit of dW
};

/// Whether the property checks the backward (run by `relpos prove --backward`).
bool is_gradient_property(Property property);

std::span<const Property> all_properties();
std::string_view to_string(Property property);
/// Throws InputError for an unknown name (the message lists the known ones).
Property parse_property(std::string_view name);
/// One line: the law.
std::string_view describe(Property property);

/// Whether the property draws its cases from the scale tier (gen::scale_case)
/// instead of the standard generator (gen::case_).
bool uses_scale_tier(Property property);

/// Empty when `property` applies to `impl` within `scope`, else why not (e.g.
/// "no accumulate mode", "precision bf16 is outside the scope").
std::string not_applicable(Property property, const Implementation& impl, const Scope& scope = {});

/// The policy equivalence and metamorphic properties hold `impl` to in
/// `precision`: the override when given, else bitwise for exact-order
/// implementations and reordered_sum_policy(precision) otherwise (bound:6 in
/// fp32, rbound:6 in the bf16 regimes).
Policy policy_for(const Implementation& impl, const std::optional<Policy>& override = std::nullopt,
                  Precision precision = Precision::fp32);
/// The policies of policy_for in words: "bitwise", "bound:6 (fp32), rbound:6 (bf16 regimes)", or the override.
std::string describe_policy(const Implementation& impl, const std::optional<Policy>& override = std::nullopt);

struct Verdict {
  bool passed = true;
  std::string report;  ///< for a failure: which law broke, where, the values
};

/// Checks one property on one case, under policy_for(impl, override, the
/// regime the property runs in). An exception from the implementation is a
/// failed verdict (its message in the report), except FatalError, which
/// propagates. Throws InputError when the case itself is invalid or the
/// property does not apply to the implementation within `scope` (not_applicable()).
Verdict check(Property property, const Case& c, const Implementation& impl,
              const std::optional<Policy>& override = std::nullopt, const Scope& scope = {});

/// Thrown by an implementation that cannot go on at all (an external candidate
/// that will not start): ends the run instead of failing a property.
class FatalError : public RuntimeFailure {
 public:
  using RuntimeFailure::RuntimeFailure;
};

}  // namespace relpos::harness
