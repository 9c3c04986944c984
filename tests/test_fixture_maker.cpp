// make_fixture: the reference's output for real layouts, with provenance.
#include <gtest/gtest.h>

#include <bit>

#include "relpos/backend.hpp"
#include "relpos/bf16.hpp"
#include "relpos/errors.hpp"
#include "relpos/fixtures/fixture_maker.hpp"
#include "relpos/io/safetensors.hpp"
#include "relpos/io/sha256.hpp"
#include "relpos/layouts/builtin_layouts.hpp"
#include "relpos/synthetic_weights.hpp"
#include "test_temp_dir.hpp"

namespace relpos {
namespace {

// The expected row of pair (i, j) by the lookup formula of SPEC.md, in its order.
float lookup(const Weights& w, const Config& config, const Layout& layout, std::int64_t i, std::int64_t j, std::int64_t c) {
  const PairBins bins = pair_bins(bin_params(config), layout.token(0, i), layout.token(0, j));
  float sum = w(c, bins.d_res) + w(c, config.token_offset() + bins.d_tok);
  if (bins.same_entity) sum += w(c, config.entity_column());
  return sum + w(c, config.chain_offset() + bins.d_chain);
}

TEST(MakeFixture, ComputesTheReferenceForABuiltinLayout) {
  testing::TempDir dir;
  const Config config{32, 2, 6};
  const Weights w = protenix_synthetic_weights(config, 17);
  const auto path = dir / "w.safetensors";
  io::write_safetensors(path,
                        {{"module.relative_position_encoding.linear_no_bias.weight", "F32", {6, 139},
                          io::f32_bytes(std::vector<float>(w.begin(), w.end()))}},
                        {{"source", "synthetic: seed 17"}}, false);
  for (Precision precision : {Precision::fp32, Precision::bf16}) {
    FixtureRequest request;
    request.weights = {path, ""};
    request.layout = "antibody_antigen";
    request.precision = precision;
    const Fixture fixture = make_fixture(request);
    const Layout layout = builtin_layout("antibody_antigen");
    ASSERT_TRUE(fixture.layout == layout);
    Config in_regime = config;
    in_regime.precision = precision;
    EXPECT_EQ(fixture.meta.config, in_regime);
    EXPECT_EQ(fixture.meta.source, path.string() + ": synthetic: seed 17");
    EXPECT_EQ(fixture.meta.source_sha256, io::sha256_file(path));
    EXPECT_EQ(fixture.meta.weight_key, "module.relative_position_encoding.linear_no_bias.weight");
    ASSERT_TRUE(fixture.expected.has_value());
    for (std::int64_t i = 0; i < layout.tokens(); i += 5)
      for (std::int64_t j = 0; j < layout.tokens(); j += 3)
        for (std::int64_t c = 0; c < 6; ++c) {
          float want = lookup(w, config, layout, i, j, c);
          if (precision == Precision::bf16) want = round_to_bf16(want);
          ASSERT_EQ(std::bit_cast<std::uint32_t>((*fixture.expected)(0, i, j, c) + 0.0f),
                    std::bit_cast<std::uint32_t>(want + 0.0f))
              << i << "," << j << "," << c;
        }
  }
}

TEST(MakeFixture, DescribesExportedWeightsByTheirCheckpoint) {
  ImportedWeights imported;
  imported.origin_name = "protenix_base.pt";
  imported.key = "module.relative_position_encoding.linear_no_bias.weight";
  imported.origin_dtype = "torch.bfloat16";
  EXPECT_EQ(describe_source(imported, "out/w.h5"),
            "protenix_base.pt (module.relative_position_encoding.linear_no_bias.weight torch.bfloat16, exported to "
            "out/w.h5)");
  imported.origin_name = "w.h5";
  imported.description = "synthetic: x";
  EXPECT_EQ(describe_source(imported, "out/w.h5"), "out/w.h5: synthetic: x");
}

TEST(MakeFixture, BadLayoutOrWeightsAreInputErrors) {
  testing::TempDir dir;
  FixtureRequest request;
  request.weights = {dir / "absent.safetensors", ""};
  request.layout = "monomer";
  EXPECT_THROW(make_fixture(request), InputError);
}

}  // namespace
}  // namespace relpos
