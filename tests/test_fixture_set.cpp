// regen / check on a small fixture set built in a scratch directory.
#include <gtest/gtest.h>

#include <algorithm>

#include "relpos/errors.hpp"
#include "relpos/fixtures/fixture_set.hpp"
#include "relpos/fixtures/manifest.hpp"
#include "relpos/io/sha256.hpp"
#include "relpos/layouts/builtin_layouts.hpp"
#include "relpos/io/layout_json.hpp"
#include "test_temp_dir.hpp"

namespace relpos {
namespace {

namespace fs = std::filesystem;

const char* kSmallRecipe = R"({
  "format": "relpos-fixture-recipe", "format_version": 1,
  "weights": [{"file": "weights/w.safetensors", "synthetic": {"seed": 3, "r_max": 4, "s_max": 1, "c_z": 8}}],
  "fixtures": [
    {"name": "mono", "layout": "monomer", "weights": "weights/w.safetensors"},
    {"name": "batch", "layout": "batch3", "weights": "weights/w.safetensors", "precision": "bf16",
     "encoding": "class-map"},
    {"name": "custom", "layout": "layouts/custom.json", "weights": "weights/w.safetensors", "policy": "bound:6"}
  ]
})";

class FixtureSet : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_bytes(dir / "recipe.json", kSmallRecipe);
    fs::create_directories(dir / "layouts");
    testing::write_bytes(dir / "layouts/custom.json", layout_to_json(builtin_layout("cropped_complex")));
    regen_fixture_set(dir.path());
  }

  FixtureSetCheck check() { return check_fixture_set(dir.path()); }

  // The findings that are not "ok", as "file: status".
  std::vector<std::string> problems() {
    std::vector<std::string> found;
    for (const auto& finding : check().findings)
      if (!finding.ok()) found.push_back(finding.file + ": " + finding.status);
    return found;
  }

  std::string detail(const std::string& file, const std::string& status) {
    for (const auto& finding : check().findings)
      if (finding.file == file && finding.status == status) return finding.detail;
    return "(no such finding)";
  }

  testing::ScopedEnv no_ci{"CI", nullptr};
  testing::TempDir dir;
};

TEST_F(FixtureSet, FreshRegenerationPassesTheCheck) {
  const FixtureSetCheck result = check();
  EXPECT_TRUE(result.passed());
  std::vector<std::string> files;
  for (const auto& finding : result.findings) files.push_back(finding.file);
  EXPECT_EQ(files, (std::vector<std::string>{"batch.h5", "custom.h5", "layouts/custom.json", "mono.h5", "recipe.json",
                                             "weights/w.safetensors"}));
  const Manifest manifest = read_manifest(dir / "MANIFEST.sha256");
  EXPECT_EQ(manifest.size(), 6u);
  EXPECT_EQ(manifest.at("mono.h5"), io::sha256_file(dir / "mono.h5"));
}

TEST_F(FixtureSet, RegenerationIsByteForByteDeterministic) {
  const std::string before = testing::read_bytes(dir / "MANIFEST.sha256");
  regen_fixture_set(dir.path());
  EXPECT_EQ(testing::read_bytes(dir / "MANIFEST.sha256"), before);
  testing::TempDir elsewhere;
  const Recipe recipe = read_recipe(dir / "recipe.json");
  const auto written = regenerate(dir.path(), recipe, elsewhere.path());
  EXPECT_EQ(written.size(), 4u);
  for (const auto& file : written)
    EXPECT_EQ(testing::read_bytes(elsewhere / file.file), testing::read_bytes(dir / file.file)) << file.file;
}

TEST_F(FixtureSet, FixturesRecordTheirSyntheticSource) {
  const Fixture fixture = read_fixture(dir / "mono.h5");
  EXPECT_EQ(fixture.meta.config, (Config{4, 1, 8}));
  EXPECT_NE(fixture.meta.source.find("weights/w.safetensors"), std::string::npos) << fixture.meta.source;
  EXPECT_NE(fixture.meta.source.find("synthetic"), std::string::npos) << fixture.meta.source;
  EXPECT_EQ(fixture.meta.source_sha256, io::sha256_file(dir / "weights/w.safetensors"));
  EXPECT_EQ(fixture.meta.weight_key, "relative_position_encoding.linear_no_bias.weight");
  EXPECT_EQ(read_fixture(dir / "batch.h5").encoding, OutputEncoding::class_map);
  EXPECT_EQ(read_fixture(dir / "batch.h5").meta.config.precision, Precision::bf16);
  EXPECT_TRUE(read_fixture(dir / "custom.h5").layout == builtin_layout("cropped_complex"));
}

TEST_F(FixtureSet, OneChangedByteInAFixtureIsNamedAltered) {
  std::string bytes = testing::read_bytes(dir / "mono.h5");
  bytes[bytes.size() / 2] ^= 0x01;
  testing::write_bytes(dir / "mono.h5", bytes);
  const auto found = problems();
  EXPECT_NE(std::find(found.begin(), found.end(), "mono.h5: altered"), found.end());
  EXPECT_NE(detail("mono.h5", "altered").find("manifest records"), std::string::npos);
}

TEST_F(FixtureSet, OneChangedByteInTheRecipeIsNamed) {
  std::string text = testing::read_bytes(dir / "recipe.json");
  text.replace(text.find("\"seed\": 3"), 9, "\"seed\": 4");
  testing::write_bytes(dir / "recipe.json", text);
  const auto found = problems();
  EXPECT_NE(std::find(found.begin(), found.end(), "recipe.json: altered"), found.end());
  EXPECT_NE(std::find(found.begin(), found.end(), "weights/w.safetensors: stale"), found.end());
  EXPECT_NE(std::find(found.begin(), found.end(), "mono.h5: stale"), found.end());
  EXPECT_NE(detail("mono.h5", "stale").find("seed 4"), std::string::npos) << detail("mono.h5", "stale");
}

TEST_F(FixtureSet, StaleFixtureIsNamedWithTheReason) {
  // The recipe asks for another policy and the manifest is re-recorded: only staleness remains.
  std::string text = testing::read_bytes(dir / "recipe.json");
  text.replace(text.find("\"policy\": \"bound:6\""), 19, "\"policy\": \"bound:5\"");
  testing::write_bytes(dir / "recipe.json", text);
  Manifest manifest = read_manifest(dir / "MANIFEST.sha256");
  manifest["recipe.json"] = io::sha256_file(dir / "recipe.json");
  write_manifest(dir / "MANIFEST.sha256", manifest);
  EXPECT_EQ(problems(), (std::vector<std::string>{"custom.h5: stale"}));
  EXPECT_NE(detail("custom.h5", "stale").find("attribute policy: 'bound:6' committed, 'bound:5' regenerated"),
            std::string::npos)
      << detail("custom.h5", "stale");
  regen_fixture_set(dir.path(), {"custom"});
  EXPECT_TRUE(check().passed());
}

TEST_F(FixtureSet, MissingAndUnlistedFilesAreNamed) {
  fs::remove(dir / "batch.h5");
  fs::copy_file(dir / "mono.h5", dir / "extra.h5");
  const auto found = problems();
  EXPECT_NE(std::find(found.begin(), found.end(), "batch.h5: missing"), found.end());
  EXPECT_NE(std::find(found.begin(), found.end(), "extra.h5: not in the recipe"), found.end());
  fs::remove(dir / "extra.h5");
  regen_fixture_set(dir.path(), {"batch"});
  EXPECT_TRUE(check().passed());
}

TEST_F(FixtureSet, AMissingLayoutFileIsNamedAndItsFixtureSkipped) {
  fs::remove(dir / "layouts/custom.json");
  EXPECT_EQ(problems(), (std::vector<std::string>{"layouts/custom.json: missing"}));
}

TEST_F(FixtureSet, ManifestProblemsAreNamed) {
  Manifest manifest = read_manifest(dir / "MANIFEST.sha256");
  manifest.erase("custom.h5");
  manifest["ghost.h5"] = std::string(64, '0');
  write_manifest(dir / "MANIFEST.sha256", manifest);
  const auto found = problems();
  EXPECT_NE(std::find(found.begin(), found.end(), "custom.h5: not in the manifest"), found.end());
  EXPECT_NE(std::find(found.begin(), found.end(), "ghost.h5: not in the recipe"), found.end());
  fs::remove(dir / "MANIFEST.sha256");
  EXPECT_EQ(problems(), (std::vector<std::string>{"MANIFEST.sha256: missing"}));
  testing::write_bytes(dir / "MANIFEST.sha256", "not a manifest\n");
  EXPECT_THROW(check(), InputError);
}

TEST_F(FixtureSet, RegenRefusesOnCi) {
  testing::ScopedEnv ci("CI", "true");
  const std::string before = testing::read_bytes(dir / "mono.h5");
  try {
    regen_fixture_set(dir.path());
    ADD_FAILURE() << "regen ran on CI";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("refuses to run on CI"), std::string::npos);
  }
  EXPECT_EQ(testing::read_bytes(dir / "mono.h5"), before);
  EXPECT_TRUE(check().passed()) << "check itself runs on CI";
}

TEST_F(FixtureSet, OnlyUnknownNameIsAnInputError) {
  EXPECT_THROW(regen_fixture_set(dir.path(), {"nope"}), InputError);
}

}  // namespace
}  // namespace relpos
