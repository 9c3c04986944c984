#include "relpos/harness/scope.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "relpos/errors.hpp"
#include "relpos/presets.hpp"

namespace relpos::harness {
namespace {

template <class T>
bool contains_or_empty(const std::vector<T>& values, T value) {
  return values.empty() || std::find(values.begin(), values.end(), value) != values.end();
}

template <class T>
std::string names(const std::vector<T>& values) {
  std::vector<std::string_view> text;
  for (T value : values) text.push_back(to_string(value));
  return fmt::format("{}", fmt::join(text, "|"));
}

}  // namespace

bool Scope::allows(Variant variant) const { return contains_or_empty(variants, variant); }
bool Scope::allows(Cyclic value) const { return contains_or_empty(cyclic, value); }
bool Scope::allows(Precision precision) const { return contains_or_empty(precisions, precision); }

bool Scope::allows(const Config& config) const {
  return allows(config.variant) && allows(config.cyclic) && allows(config.precision) &&
         (!r_max || *r_max == config.r_max) && (!s_max || *s_max == config.s_max) && (!c_z || *c_z == config.c_z);
}

bool Scope::unrestricted() const {
  return variants.empty() && cyclic.empty() && precisions.empty() && !r_max && !s_max && !c_z;
}

std::string Scope::describe() const {
  if (unrestricted()) return "everything";
  std::vector<std::string> parts;
  if (!variants.empty()) parts.push_back("variant " + names(variants));
  if (!cyclic.empty()) parts.push_back("cyclic " + names(cyclic));
  if (!precisions.empty()) parts.push_back("precision " + names(precisions));
  if (r_max) parts.push_back(fmt::format("r_max {}", *r_max));
  if (s_max) parts.push_back(fmt::format("s_max {}", *s_max));
  if (c_z) parts.push_back(fmt::format("c_z {}", *c_z));
  const std::string axes = fmt::format("{}", fmt::join(parts, ", "));
  return model.empty() ? axes : fmt::format("model {}: {}", model, axes);
}

Scope preset_scope(std::string_view model) {
  const ModelPreset& preset = find_preset(model);
  Scope scope;
  scope.model = std::string(preset.name);
  scope.variants = {preset.variant};
  scope.cyclic = {preset.cyclic};
  scope.precisions = preset.precisions;
  scope.r_max = preset.r_max;
  scope.s_max = preset.s_max;
  scope.c_z = preset.c_z;
  return scope;
}

void validate(const Scope& scope) {
  Config probe;
  probe.r_max = scope.r_max.value_or(probe.r_max);
  probe.s_max = scope.s_max.value_or(probe.s_max);
  probe.c_z = scope.c_z.value_or(probe.c_z);
  validate(probe);
}

}  // namespace relpos::harness
