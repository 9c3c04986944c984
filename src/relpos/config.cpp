#include "relpos/config.hpp"

#include <fmt/format.h>

#include "relpos/errors.hpp"

namespace relpos {

std::string_view to_string(Variant variant) {
  switch (variant) {
    case Variant::af3: return "af3";
    case Variant::paper: return "paper";
  }
  return "?";
}

Variant parse_variant(std::string_view name) {
  if (name == "af3") return Variant::af3;
  if (name == "paper") return Variant::paper;
  throw InputError(fmt::format("unknown variant '{}' (expected af3 or paper)", name));
}

void validate(const Config& config) {
  if (config.r_max < 0 || config.r_max > kMaxClip)
    throw InputError(fmt::format("r_max = {} is out of range [0, {}]", config.r_max, kMaxClip));
  if (config.s_max < 0 || config.s_max > kMaxClip)
    throw InputError(fmt::format("s_max = {} is out of range [0, {}]", config.s_max, kMaxClip));
  if (config.c_z < 1 || config.c_z > kMaxChannels)
    throw InputError(fmt::format("c_z = {} is out of range [1, {}]", config.c_z, kMaxChannels));
}

std::string describe(const Config& config) {
  return fmt::format("variant={} r_max={} s_max={} c_z={} F={}", to_string(config.variant), config.r_max,
                     config.s_max, config.c_z, config.feature_width());
}

}  // namespace relpos
