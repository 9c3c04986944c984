// Weight import: FILE:KEY, the known keys and their order, r_max/s_max inference, formats.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <functional>

#include "relpos/errors.hpp"
#include "relpos/io/hdf5_file.hpp"
#include "relpos/io/safetensors.hpp"
#include "relpos/io/sha256.hpp"
#include "relpos/io/weight_import.hpp"
#include "relpos/synthetic_weights.hpp"
#include "test_temp_dir.hpp"

namespace relpos {
namespace {

constexpr const char* kTrunk = "relative_position_encoding.linear_no_bias.weight";
constexpr const char* kDiffusion = "diffusion_module.diffusion_conditioning.relpe.linear_no_bias.weight";
constexpr const char* kBoltz = "rel_pos.linear_layer.weight";

io::SafetensorsTensor f32_tensor(const std::string& name, const Weights& w) {
  return {name, "F32", {w.shape(0), w.shape(1)}, io::f32_bytes(std::vector<float>(w.begin(), w.end()))};
}

std::string message_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(WeightSource, SplitsFileAndKeyAtTheLastColon) {
  const WeightSource plain = parse_weight_source("w.safetensors");
  EXPECT_EQ(plain.file, "w.safetensors");
  EXPECT_EQ(plain.key, "");
  const WeightSource keyed = parse_weight_source("dir/w.h5:model/rel_pos.linear_layer.weight");
  EXPECT_EQ(keyed.file, "dir/w.h5");
  EXPECT_EQ(keyed.key, "model/rel_pos.linear_layer.weight");
  EXPECT_THROW(parse_weight_source("w.h5:"), InputError);
  EXPECT_THROW(parse_weight_source(""), InputError);
}

TEST(WeightSource, AnExistingFileNameWithAColonIsNotSplit) {
  testing::TempDir dir;
  const auto path = dir / "odd:name.safetensors";
  testing::write_bytes(path, "x");
  EXPECT_EQ(parse_weight_source(path.string()).file, path);
}

TEST(ChooseClip, FollowsTheDocumentedRule) {
  const ConfigHints none;
  EXPECT_EQ(choose_clip(139, none, {}, {}, "w").r_max, 32);
  EXPECT_EQ(choose_clip(139, none, {}, {}, "w").s_max, 2);
  EXPECT_EQ(choose_clip(7, none, {}, {}, "w").r_max, 0);
  EXPECT_EQ(choose_clip(9, none, {}, {}, "w").s_max, 1);
  const std::string ambiguous = message_of([&] { choose_clip(41, none, {}, {}, "w"); });
  EXPECT_NE(ambiguous.find("ambiguous"), std::string::npos) << ambiguous;
  EXPECT_NE(ambiguous.find("r_max 8, s_max 1"), std::string::npos) << ambiguous;
  for (std::int64_t even_or_small : {140, 5, 0, -3})
    EXPECT_NE(message_of([&] { choose_clip(even_or_small, none, {}, {}, "w"); }).find("fits no config"),
              std::string::npos);
  // One value given: the other solves F.
  EXPECT_EQ(choose_clip(41, {8, std::nullopt}, {}, {}, "w").s_max, 1);
  EXPECT_EQ(choose_clip(41, {std::nullopt, 3}, {}, {}, "w").r_max, 7);
  EXPECT_THROW(choose_clip(41, {std::nullopt, 2}, {}, {}, "w"), InputError) << "odd 2 r_max";
  EXPECT_THROW(choose_clip(41, {9, std::nullopt}, {}, {}, "w"), InputError) << "F too small";
  // Given beats recorded; both must fit F.
  EXPECT_EQ(choose_clip(41, {}, 8, 1, "w").origin, "recorded in the file");
  EXPECT_EQ(choose_clip(41, {7, std::nullopt}, 8, std::nullopt, "w").s_max, 3);
  EXPECT_THROW(choose_clip(41, {7, std::nullopt}, 8, 1, "w"), InputError) << "given r_max contradicts recorded s_max";
  EXPECT_THROW(choose_clip(139, {32, 3}, {}, {}, "w"), InputError);
  // 139 with a different decomposition given explicitly.
  EXPECT_EQ(choose_clip(139, {33, std::nullopt}, {}, {}, "w").s_max, 0);
}

TEST(ImportWeights, SafetensorsWithModulePrefixAndProvenance) {
  testing::TempDir dir;
  const Config config{32, 2, 16};
  const Weights w = protenix_synthetic_weights(config, 5);
  const auto path = dir / "w.safetensors";
  io::write_safetensors(path, {f32_tensor(std::string("module.") + kTrunk, w)}, {{"source", "synthetic: test"}}, false);
  const ImportedWeights got = import_weights({path, ""});
  EXPECT_EQ(got.key, std::string("module.") + kTrunk);
  EXPECT_EQ(got.config, config);
  EXPECT_EQ(got.config_origin, "AF3 defaults (F = 139)");
  EXPECT_EQ(got.file_format, "safetensors");
  EXPECT_EQ(got.stored_dtype, "F32");
  EXPECT_EQ(got.file_sha256, io::sha256_file(path));
  EXPECT_EQ(got.origin_sha256, got.file_sha256);
  EXPECT_EQ(got.description, "synthetic: test");
  EXPECT_TRUE(std::equal(w.begin(), w.end(), got.weights.begin(),
                         [](float a, float b) { return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b); }));
}

TEST(ImportWeights, KnownKeysAreTriedInOrderAndAnExplicitKeyWins) {
  testing::TempDir dir;
  const Weights trunk = protenix_synthetic_weights({32, 2, 4}, 1);
  const Weights diffusion = protenix_synthetic_weights({32, 2, 4}, 2);
  const Weights boltz = protenix_synthetic_weights({32, 2, 4}, 3);
  const auto path = dir / "all.safetensors";
  io::write_safetensors(path, {f32_tensor(kBoltz, boltz), f32_tensor(kDiffusion, diffusion), f32_tensor(kTrunk, trunk)},
                        {}, false);
  EXPECT_EQ(import_weights({path, ""}).key, kTrunk);
  EXPECT_EQ(import_weights({path, kBoltz}).weights(0, 0), boltz(0, 0));
  const auto second = dir / "diffusion_and_boltz.safetensors";
  io::write_safetensors(second, {f32_tensor(kBoltz, boltz), f32_tensor(std::string("module.") + kDiffusion, diffusion)},
                        {}, false);
  EXPECT_EQ(import_weights({second, ""}).key, std::string("module.") + kDiffusion);
  EXPECT_EQ(weight_key_candidates(false).front(), kTrunk);
  EXPECT_EQ(weight_key_candidates(false)[1], std::string("module.") + kTrunk);
}

TEST(ImportWeights, Bf16SafetensorsImportExactly) {
  testing::TempDir dir;
  // Rows of a [2, 139] BF16 weight: every value is k/64 for small k, a bf16 value.
  std::vector<unsigned char> bytes;
  std::vector<float> expected;
  for (int k = 0; k < 2 * 139; ++k) {
    const float value = static_cast<float>((k % 37) - 18) / 64.0f;
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
    ASSERT_EQ(bits & 0xffffu, 0u);
    bytes.push_back(static_cast<unsigned char>((bits >> 16) & 0xff));
    bytes.push_back(static_cast<unsigned char>(bits >> 24));
    expected.push_back(value);
  }
  const auto path = dir / "bf16.safetensors";
  io::write_safetensors(path, {{kBoltz, "BF16", {2, 139}, bytes}}, {}, false);
  const ImportedWeights got = import_weights({path, ""});
  EXPECT_EQ(got.stored_dtype, "BF16");
  EXPECT_EQ(got.config.c_z, 2);
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), got.weights.begin()));
}

TEST(ImportWeights, RecordedClipValuesDecideAnAmbiguousWidth) {
  testing::TempDir dir;
  const Config config{8, 1, 3};
  const auto path = dir / "small.safetensors";
  io::write_safetensors(path, {f32_tensor(kTrunk, protenix_synthetic_weights(config, 9))},
                        {{"r_max", "8"}, {"s_max", "1"}}, false);
  EXPECT_EQ(import_weights({path, ""}).config, config);
  const auto bare = dir / "bare.safetensors";
  io::write_safetensors(bare, {f32_tensor(kTrunk, protenix_synthetic_weights(config, 9))}, {}, false);
  EXPECT_NE(message_of([&] { import_weights({bare, ""}); }).find("ambiguous"), std::string::npos);
  EXPECT_EQ(import_weights({bare, ""}, {8, std::nullopt}).config, config);
}

TEST(ImportWeights, Hdf5WeightFilesWithExportAttributes) {
  testing::TempDir dir;
  const Weights w = protenix_synthetic_weights({32, 2, 8}, 4);
  const auto path = dir / "exported.h5";
  {
    io::Hdf5Writer file(path);
    file.string_attribute("format", "relpos-weights");
    file.integer_attribute("format_version", 1);
    file.string_attribute("key", std::string("module.") + kTrunk);
    file.string_attribute("source", "model_v0.5.pt");
    file.string_attribute("source_sha256", std::string(64, 'a'));
    file.string_attribute("source_dtype", "torch.bfloat16");
    file.write_float32("/module." + std::string(kTrunk), {8, 139}, w.data());
    file.close();
  }
  const ImportedWeights got = import_weights({path, ""});
  EXPECT_EQ(got.file_format, "hdf5");
  EXPECT_EQ(got.key, std::string("module.") + kTrunk);
  EXPECT_EQ(got.origin_name, "model_v0.5.pt");
  EXPECT_EQ(got.origin_sha256, std::string(64, 'a'));
  EXPECT_EQ(got.origin_dtype, "torch.bfloat16");
  EXPECT_EQ(got.stored_dtype, "float32");
  EXPECT_EQ(got.weights(7, 138), w(7, 138));
}

TEST(ImportWeights, Hdf5StateDictsNestedUnderModelAreSearched) {
  testing::TempDir dir;
  const Weights w = protenix_synthetic_weights({32, 2, 2}, 4);
  const auto path = dir / "dump.h5";
  {
    io::Hdf5Writer file(path);
    file.create_group("/state_dict");
    file.write_float32(std::string("/state_dict/") + kBoltz, {2, 139}, w.data());
    file.close();
  }
  EXPECT_EQ(import_weights({path, ""}).key, std::string("state_dict/") + kBoltz);
}

TEST(ImportWeights, ClearErrors) {
  testing::TempDir dir;
  const auto none = dir / "none.safetensors";
  io::write_safetensors(none, {f32_tensor("encoder.weight", protenix_synthetic_weights({32, 2, 2}, 1))}, {}, false);
  const std::string missing = message_of([&] { import_weights({none, ""}); });
  EXPECT_NE(missing.find("none of the known weight keys"), std::string::npos) << missing;
  EXPECT_NE(missing.find("encoder.weight [2, 139]"), std::string::npos) << missing;
  EXPECT_NE(message_of([&] { import_weights({none, "nope"}); }).find("no tensor 'nope'"), std::string::npos);

  const auto wrong_width = dir / "even.safetensors";
  io::write_safetensors(wrong_width, {{kTrunk, "F32", {1, 2}, io::f32_bytes({1.0f, 2.0f})}}, {}, false);
  EXPECT_NE(message_of([&] { import_weights({wrong_width, ""}); }).find("fits no config"), std::string::npos);

  const auto rank3 = dir / "rank3.safetensors";
  io::write_safetensors(rank3, {{kTrunk, "F32", {1, 1, 1}, io::f32_bytes({1.0f})}}, {}, false);
  EXPECT_NE(message_of([&] { import_weights({rank3, ""}); }).find("[c_z, F] matrix"), std::string::npos);

  const auto pickle = dir / "model.pt";
  testing::write_bytes(pickle, std::string("PK\x03\x04", 4) + "rest");
  EXPECT_NE(message_of([&] { import_weights({pickle, ""}); }).find("tools/export_weights.py"), std::string::npos);

  const auto nan = dir / "nan.safetensors";
  std::vector<float> values(139, 0.0f);
  values[5] = std::nanf("");
  io::write_safetensors(nan, {{kTrunk, "F32", {1, 139}, io::f32_bytes(values)}}, {}, false);
  EXPECT_NE(message_of([&] { import_weights({nan, ""}); }).find("not finite"), std::string::npos);

  EXPECT_NE(message_of([&] { import_weights({dir / "absent.h5", ""}); }).find("no such file"), std::string::npos);
}

}  // namespace
}  // namespace relpos
