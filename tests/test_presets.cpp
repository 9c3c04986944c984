// The model presets of SPEC.md part 2, as its table states them.
#include <gtest/gtest.h>

#include "relpos/errors.hpp"
#include "relpos/presets.hpp"

namespace relpos {
namespace {

TEST(Presets, MatchTheSpecTable) {
  using enum Precision;
  struct Row {
    const char* name;
    Variant variant;
    Cyclic cyclic;
    std::vector<Precision> precisions;
  };
  const std::vector<Row> table = {
      {"protenix", Variant::af3, Cyclic::none, {fp32, bf16_autocast}},
      {"pxdesign", Variant::af3, Cyclic::none, {fp32, bf16_autocast}},
      {"af3", Variant::af3, Cyclic::none, {bf16_autocast}},
      {"openfold3", Variant::af3, Cyclic::none, {fp32, bf16_autocast}},
      {"boltz1", Variant::paper, Cyclic::boltz, {fp32, bf16_autocast}},
      {"boltz2", Variant::af3, Cyclic::boltz, {bf16_autocast}},
  };
  ASSERT_EQ(model_presets().size(), table.size());
  for (const Row& row : table) {
    const ModelPreset& preset = find_preset(row.name);
    EXPECT_EQ(preset.variant, row.variant) << row.name;
    EXPECT_EQ(preset.cyclic, row.cyclic) << row.name;
    EXPECT_EQ(preset.precisions, row.precisions) << row.name;
    const Config config = preset.config(row.precisions.front());
    EXPECT_EQ(config.r_max, 32);
    EXPECT_EQ(config.s_max, 2);
    EXPECT_EQ(config.c_z, 128);
    EXPECT_EQ(config.precision, row.precisions.front());
  }
}

// The "add a preset" recipe (docs/architecture.md): a new entry is found by
// name and gives a valid config in every precision it lists.
TEST(Presets, EveryEntryIsFoundByNameAndValidInEachOfItsPrecisions) {
  for (const ModelPreset& preset : model_presets()) {
    EXPECT_EQ(&find_preset(preset.name), &preset);
    EXPECT_FALSE(preset.description.empty()) << preset.name;
    ASSERT_FALSE(preset.precisions.empty()) << preset.name;
    for (Precision precision : preset.precisions) EXPECT_NO_THROW(validate(preset.config(precision))) << preset.name;
  }
}

TEST(Presets, AnUnknownNameListsTheKnownOnes) {
  try {
    find_preset("rf3");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "unknown model preset 'rf3' (known: protenix, pxdesign, af3, openfold3, boltz1, boltz2)");
  }
}

}  // namespace
}  // namespace relpos
