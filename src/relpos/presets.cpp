#include "relpos/presets.hpp"

#include <fmt/format.h>

#include "relpos/errors.hpp"

namespace relpos {

std::span<const ModelPreset> model_presets() {
  using enum Precision;
  static const std::vector<ModelPreset> kPresets = {
      {"protenix", "Protenix: AF3 chain term, fp32 diffusion and bf16-autocast trunk", Variant::af3, Cyclic::none, 32,
       2, 128, {fp32, bf16_autocast}},
      {"pxdesign", "PXDesign: Protenix's module (the same preset)", Variant::af3, Cyclic::none, 32, 2, 128,
       {fp32, bf16_autocast}},
      {"af3", "AlphaFold 3 code: trunk under bf16 autocast", Variant::af3, Cyclic::none, 32, 2, 128, {bf16_autocast}},
      {"openfold3", "OpenFold3: AF3 chain term", Variant::af3, Cyclic::none, 32, 2, 128, {fp32, bf16_autocast}},
      {"boltz1", "Boltz-1: the paper's chain term, cyclic offsets always on", Variant::paper, Cyclic::boltz, 32, 2, 128,
       {fp32, bf16_autocast}},
      {"boltz2", "Boltz-2 (released config: fix_sym_check, cyclic_pos_enc)", Variant::af3, Cyclic::boltz, 32, 2, 128,
       {bf16_autocast}},
  };
  return kPresets;
}

const ModelPreset& find_preset(std::string_view name) {
  std::string known;
  for (const ModelPreset& preset : model_presets()) {
    if (preset.name == name) return preset;
    known += fmt::format("{}{}", known.empty() ? "" : ", ", preset.name);
  }
  throw InputError(fmt::format("unknown model preset '{}' (known: {})", name, known));
}

}  // namespace relpos
