#pragma once
// What a user states they implement: a model preset, or any subset of the
// config axes. The harness never sends a case outside the scope, and never
// shrinks a fixed field away.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "relpos/config.hpp"

namespace relpos::harness {

struct Scope {
  std::string model;                   ///< the preset it came from, for reports; empty = none
  std::vector<Variant> variants;       ///< empty: every variant
  std::vector<Cyclic> cyclic;          ///< empty: every cyclic form
  std::vector<Precision> precisions;   ///< empty: every precision regime
  std::optional<std::int32_t> r_max;   ///< empty: generated
  std::optional<std::int32_t> s_max;
  std::optional<std::int32_t> c_z;

  bool allows(Variant variant) const;
  bool allows(Cyclic value) const;
  bool allows(Precision precision) const;
  /// Every axis of `config` inside the scope.
  bool allows(const Config& config) const;
  /// Nothing stated: everything is generated.
  bool unrestricted() const;
  /// "model boltz2: variant af3, cyclic boltz, precision bf16-autocast, r_max 32, s_max 2, c_z 128", or "everything".
  std::string describe() const;

  friend bool operator==(const Scope&, const Scope&) = default;
};

/// The preset's scope: its variant, cyclic form, r_max, s_max, c_z and the
/// precision regimes it runs. Throws InputError for an unknown name.
Scope preset_scope(std::string_view model);

/// Throws InputError when a value is out of range (r_max, s_max, c_z as validate(Config)).
void validate(const Scope& scope);

}  // namespace relpos::harness
