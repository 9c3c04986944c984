#pragma once
// Configurations: r_max 0..40 and s_max 0..5 with the defaults and the extremes
// over-weighted, c_z 1..256 (mostly small, never only SIMD multiples), both variants.
#include <rapidcheck.h>

#include "relpos/config.hpp"
#include "relpos/harness/gen_choice.hpp"

namespace relpos::harness::gen {

inline constexpr std::int32_t kMaxGeneratedRmax = 40;
inline constexpr std::int32_t kMaxGeneratedSmax = 5;
inline constexpr std::int32_t kMaxGeneratedChannels = 256;

inline rc::Gen<Config> config() {
  using rc::gen::just;
  using rc::gen::set;
  return rc::gen::build<Config>(
      set(&Config::r_max, weighted_one_of<std::int32_t>({{5, uniform<std::int32_t>(0, kMaxGeneratedRmax + 1)},
                                                         {3, just(std::int32_t{32})},
                                                         {2, just(std::int32_t{kMaxGeneratedRmax})}})),
      set(&Config::s_max, weighted_one_of<std::int32_t>({{5, uniform<std::int32_t>(0, kMaxGeneratedSmax + 1)},
                                                         {3, just(std::int32_t{2})},
                                                         {2, just(std::int32_t{kMaxGeneratedSmax})}})),
      set(&Config::c_z, weighted_one_of<std::int32_t>({{6, uniform<std::int32_t>(1, 17)},
                                                       {3, uniform<std::int32_t>(17, 65)},
                                                       {1, uniform<std::int32_t>(65, kMaxGeneratedChannels + 1)}})),
      set(&Config::variant, weighted_choice<Variant>({{6, Variant::af3}, {1, Variant::paper}})));
}

}  // namespace relpos::harness::gen
