#pragma once
// The models users prove an implementation of (SPEC.md part 2 "Model
// presets"): each fixes every axis of the Config but the layout and weight
// values, and names the precision regimes that model runs. Adding a model is
// one entry in presets.cpp.
#include <span>
#include <string_view>
#include <vector>

#include "relpos/config.hpp"

namespace relpos {

struct ModelPreset {
  std::string_view name;
  std::string_view description;
  Variant variant = Variant::af3;
  Cyclic cyclic = Cyclic::none;
  std::int32_t r_max = 32;
  std::int32_t s_max = 2;
  std::int32_t c_z = 128;
  std::vector<Precision> precisions;  ///< the regimes the model runs, the first one its usual

  /// The preset's config in `precision`.
  Config config(Precision precision) const {
    return Config{r_max, s_max, c_z, variant, cyclic, precision};
  }
};

/// Every preset, in table order (protenix, pxdesign, af3, openfold3, boltz1, boltz2).
std::span<const ModelPreset> model_presets();

/// Throws InputError "unknown model preset 'x' (known: ...)".
const ModelPreset& find_preset(std::string_view name);

}  // namespace relpos
