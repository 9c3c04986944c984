// fixtures/recipe.json: parsing, defaults and one clear error per mistake.
#include <gtest/gtest.h>

#include "relpos/errors.hpp"
#include "relpos/fixtures/recipe.hpp"
#include "test_temp_dir.hpp"

namespace relpos {
namespace {

const std::string kWeights =
    R"({"file": "weights/w.safetensors", "synthetic": {"seed": 7, "r_max": 4, "s_max": 1, "c_z": 8}})";

std::string recipe_text(const std::string& fixtures, const std::string& weights = kWeights) {
  return R"({"format": "relpos-fixture-recipe", "format_version": 1, "weights": [)" + weights +
         R"(], "fixtures": [)" + fixtures + "]}";
}

TEST(Recipe, ReadsEntriesWithDefaults) {
  testing::TempDir dir;
  testing::write_bytes(dir / "recipe.json",
                       recipe_text(R"({"name": "a", "layout": "monomer", "weights": "weights/w.safetensors"},
                                    {"name": "b-2.x", "layout": "layouts/b.json", "weights": "./weights/w.safetensors:k",
                                     "config": {"r_max": 4, "variant": "paper"}, "precision": "bf16",
                                     "policy": "bound:6", "encoding": "class-map"})"));
  const Recipe recipe = read_recipe(dir / "recipe.json");
  ASSERT_EQ(recipe.weights.size(), 1u);
  EXPECT_EQ(recipe.weights[0].key, "relative_position_encoding.linear_no_bias.weight");
  ASSERT_TRUE(recipe.weights[0].synthetic.has_value());
  EXPECT_EQ(recipe.weights[0].synthetic->seed, 7u);
  EXPECT_EQ(recipe.weights[0].synthetic->config, (Config{4, 1, 8}));
  ASSERT_EQ(recipe.fixtures.size(), 2u);
  const FixtureRecipe& a = recipe.fixtures[0];
  EXPECT_EQ(a.file(), "a.h5");
  EXPECT_EQ(a.precision, Precision::fp32);
  EXPECT_EQ(a.policy, Policy::bitwise());
  EXPECT_EQ(a.encoding, OutputEncoding::full);
  EXPECT_FALSE(a.config.r_max.has_value());
  const FixtureRecipe& b = recipe.fixtures[1];
  EXPECT_EQ(b.weights_file, "weights/w.safetensors");
  EXPECT_EQ(b.weights_key, "k");
  EXPECT_EQ(b.config.r_max, 4);
  EXPECT_EQ(b.config.variant, Variant::paper);
  EXPECT_EQ(b.precision, Precision::bf16);
  EXPECT_EQ(b.policy, Policy::bound(6));
  EXPECT_EQ(b.encoding, OutputEncoding::class_map);
}

TEST(Recipe, MistakesGiveOneClearLine) {
  testing::TempDir dir;
  const std::string ok = R"("layout": "monomer", "weights": "weights/w.safetensors")";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{", "not valid JSON"},
      {R"({"format": "other", "format_version": 1, "weights": [], "fixtures": []})", "expected 'relpos-fixture-recipe'"},
      {R"({"format": "relpos-fixture-recipe", "format_version": 2, "weights": [], "fixtures": []})", "version 1"},
      {recipe_text(R"({"name": "a", )" + ok + R"(, "precison": "fp32"})"), "unknown key 'precison'"},
      {recipe_text(R"({"name": "a", )" + ok + "}, " + R"({"name": "a", )" + ok + "}"), "listed twice"},
      {recipe_text(R"({"name": "a/b", )" + ok + "}"), "only letters"},
      {recipe_text(R"({"name": "a", "layout": "monomer", "weights": "other.safetensors"})"),
       "not one of the recipe's weights files"},
      {recipe_text(R"({"name": "a", )" + ok + R"(, "precision": "fp16"})"), "unknown precision 'fp16'"},
      {recipe_text(R"({"name": "a", )" + ok + R"(, "policy": "close"})"), "'policy'"},
      {recipe_text(R"({"name": "a", )" + ok + R"(, "encoding": "zip"})"), "unknown output encoding"},
      {recipe_text(R"({"name": "a", )" + ok + R"(, "config": {"r_max": -1}})"), "out of range"},
      {recipe_text(R"({"name": "a"})"), "missing 'layout'"},
      {recipe_text("", R"({"file": "/abs/w.safetensors"})"), "must be relative"},
      {recipe_text("", R"({"file": "../w.safetensors"})"), "leaves the fixture directory"},
      {recipe_text("", R"({"file": "w.h5", "synthetic": {"seed": 1, "r_max": 1, "s_max": 1, "c_z": 1}})"),
       "must end in .safetensors"},
      {recipe_text("", R"({"file": "w.safetensors", "synthetic": {"seed": 1, "r_max": 1, "s_max": 1}})"),
       "missing 'c_z'"},
  };
  for (const auto& [text, expected] : cases) {
    testing::write_bytes(dir / "recipe.json", text);
    try {
      read_recipe(dir / "recipe.json");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const InputError& e) {
      const std::string message = e.what();
      EXPECT_TRUE(message.starts_with((dir / "recipe.json").string())) << message;
      EXPECT_NE(message.find(expected), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
}

}  // namespace
}  // namespace relpos
