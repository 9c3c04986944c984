#pragma once
// Configurations: r_max 0..40 and s_max 0..5 with the defaults and the extremes
// over-weighted (a failure shrinks toward the defaults r_max 32, s_max 2 that
// every model runs, not toward a degenerate r_max 0), c_z 1..256 (mostly small, never only SIMD multiples), both
// variants, both cyclic forms, the three precision regimes. A field the scope
// fixes is that value, never generated otherwise and never shrunk away; a
// field it narrows to a set is drawn from the set.
#include <rapidcheck.h>

#include "relpos/config.hpp"
#include "relpos/harness/gen_choice.hpp"
#include "relpos/harness/scope.hpp"

namespace relpos::harness::gen {

inline constexpr std::int32_t kMaxGeneratedRmax = 40;
inline constexpr std::int32_t kMaxGeneratedSmax = 5;
inline constexpr std::int32_t kMaxGeneratedChannels = 256;

/// `fixed` when given (no shrinking), else `generated`.
inline rc::Gen<std::int32_t> fixed_or(const std::optional<std::int32_t>& fixed, rc::Gen<std::int32_t> generated) {
  return fixed ? rc::gen::just(*fixed) : std::move(generated);
}

/// `weighted` restricted to the scope's `allowed` values (in their weights; equal weights for values not listed).
template <class T>
rc::Gen<T> allowed_choice(const std::vector<T>& allowed, std::vector<std::pair<int, T>> weighted) {
  if (allowed.empty()) return weighted_choice<T>(std::move(weighted));
  std::vector<std::pair<int, T>> kept;
  for (const T& value : allowed) {
    int weight = 1;
    for (const auto& [w, v] : weighted)
      if (v == value) weight = w;
    kept.emplace_back(weight, value);
  }
  return weighted_choice<T>(std::move(kept));
}

inline rc::Gen<Config> config(const Scope& scope = {}) {
  using rc::gen::just;
  using rc::gen::set;
  return rc::gen::build<Config>(
      set(&Config::r_max, fixed_or(scope.r_max, weighted_one_of<std::int32_t>(
                                                    {{3, just(std::int32_t{32})},
                                                     {5, uniform<std::int32_t>(0, kMaxGeneratedRmax + 1)},
                                                     {2, just(std::int32_t{kMaxGeneratedRmax})}}))),
      set(&Config::s_max, fixed_or(scope.s_max, weighted_one_of<std::int32_t>(
                                                    {{3, just(std::int32_t{2})},
                                                     {5, uniform<std::int32_t>(0, kMaxGeneratedSmax + 1)},
                                                     {2, just(std::int32_t{kMaxGeneratedSmax})}}))),
      set(&Config::c_z, fixed_or(scope.c_z, weighted_one_of<std::int32_t>(
                                                {{6, uniform<std::int32_t>(1, 17)},
                                                 {3, uniform<std::int32_t>(17, 65)},
                                                 {1, uniform<std::int32_t>(65, kMaxGeneratedChannels + 1)}}))),
      set(&Config::variant, allowed_choice<Variant>(scope.variants, {{6, Variant::af3}, {1, Variant::paper}})),
      set(&Config::cyclic, allowed_choice<Cyclic>(scope.cyclic, {{3, Cyclic::none}, {2, Cyclic::boltz}})),
      set(&Config::precision,
          allowed_choice<Precision>(scope.precisions,
                                    {{6, Precision::fp32}, {2, Precision::bf16}, {2, Precision::bf16_autocast}})));
}

}  // namespace relpos::harness::gen
