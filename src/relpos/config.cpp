#include "relpos/config.hpp"

#include <array>
#include <utility>

#include <fmt/format.h>

#include "relpos/errors.hpp"

namespace relpos {
namespace {

template <class Enum, std::size_t kCount>
using Names = std::array<std::pair<Enum, std::string_view>, kCount>;

constexpr Names<Variant, 2> kVariants = {{{Variant::af3, "af3"}, {Variant::paper, "paper"}}};
constexpr Names<Cyclic, 2> kCyclic = {{{Cyclic::none, "none"}, {Cyclic::boltz, "boltz"}}};
constexpr Names<Precision, 3> kPrecisions = {
    {{Precision::fp32, "fp32"}, {Precision::bf16, "bf16"}, {Precision::bf16_autocast, "bf16-autocast"}}};

template <class Enum, std::size_t kCount>
std::string_view name_of(const Names<Enum, kCount>& names, Enum value) {
  for (const auto& [known, name] : names)
    if (known == value) return name;
  return "?";
}

template <class Enum, std::size_t kCount>
Enum parse_name(const Names<Enum, kCount>& names, std::string_view name, std::string_view what) {
  std::string known;
  for (const auto& [value, text] : names) {
    if (text == name) return value;
    known += fmt::format("{}{}", known.empty() ? "" : ", ", text);
  }
  throw InputError(fmt::format("unknown {} '{}' (expected {})", what, name, known));
}

}  // namespace

std::string_view to_string(Variant variant) { return name_of(kVariants, variant); }
std::string_view to_string(Cyclic cyclic) { return name_of(kCyclic, cyclic); }
std::string_view to_string(Precision precision) { return name_of(kPrecisions, precision); }
Variant parse_variant(std::string_view name) { return parse_name(kVariants, name, "variant"); }
Cyclic parse_cyclic(std::string_view name) { return parse_name(kCyclic, name, "cyclic form"); }
Precision parse_precision(std::string_view name) { return parse_name(kPrecisions, name, "precision"); }

void validate(const Config& config) {
  if (config.r_max < 0 || config.r_max > kMaxClip)
    throw InputError(fmt::format("r_max = {} is out of range [0, {}]", config.r_max, kMaxClip));
  if (config.s_max < 0 || config.s_max > kMaxClip)
    throw InputError(fmt::format("s_max = {} is out of range [0, {}]", config.s_max, kMaxClip));
  if (config.c_z < 1 || config.c_z > kMaxChannels)
    throw InputError(fmt::format("c_z = {} is out of range [1, {}]", config.c_z, kMaxChannels));
}

std::string describe(const Config& config) {
  std::string text = fmt::format("variant={} r_max={} s_max={} c_z={} F={}", to_string(config.variant), config.r_max,
                                 config.s_max, config.c_z, config.feature_width());
  // Only the axes that differ from part 1's plain fp32: old reports stay as they were.
  if (config.cyclic != Cyclic::none) text += fmt::format(" cyclic={}", to_string(config.cyclic));
  if (config.precision != Precision::fp32) text += fmt::format(" precision={}", to_string(config.precision));
  return text;
}

}  // namespace relpos
