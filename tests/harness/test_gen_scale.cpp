// The scale tier: token counts at tile boundaries within the element budget,
// probe weights that read back each pair's bins, and shrinking to the
// smallest N that still fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include <rapidcheck.h>

#include "relpos/backends/registry.hpp"
#include "relpos/bins.hpp"
#include "relpos/harness/gen_scale.hpp"
#include "relpos/harness/prove.hpp"

namespace relpos::harness {
namespace {

std::vector<Case> draw(const Scope& scope, int size, int count) {
  const rc::Gen<Case> cases = gen::scale_case(scope);
  std::vector<Case> drawn;
  for (int k = 0; k < count; ++k) drawn.push_back(cases(rc::Random(static_cast<std::uint64_t>(k) * 7919 + 1), size).value());
  return drawn;
}

TEST(ScaleTier, TokenCountsSitAtTileBoundariesPast64) {
  const auto& counts = scale_token_counts();
  ASSERT_TRUE(std::is_sorted(counts.begin(), counts.end()));
  EXPECT_EQ(counts.front(), 65);
  for (std::int64_t n : {65, 127, 128, 129, 255, 256, 257, 264, 1023, 1024, 1025, 2049, 3199, 3200, 3201})
    EXPECT_TRUE(std::count(counts.begin(), counts.end(), n)) << n;
  EXPECT_TRUE(std::all_of(counts.begin(), counts.end(), [](std::int64_t n) { return n > 64; }));
}

TEST(ScaleTier, TheDefaultSizeReaches1025AndACampaignReaches3200) {
  std::set<std::int64_t> at_100, at_200;
  for (const Case& c : draw({}, 100, 300)) at_100.insert(c.layout.tokens());
  for (const Case& c : draw({}, 200, 300)) at_200.insert(c.layout.tokens());
  EXPECT_EQ(*at_100.rbegin(), 1025);
  EXPECT_TRUE(at_100.count(65));
  EXPECT_TRUE(at_200.count(3200)) << "size 200 must reach PXDesign's chunk threshold";
  for (int size : {100, 200})
    for (const Case& c : draw({}, size, 100)) {
      const std::int64_t elements = c.layout.batch() * c.layout.tokens() * c.layout.tokens() * c.config.c_z;
      EXPECT_LE(elements, scale_element_budget(size)) << c.layout.tokens();
      EXPECT_TRUE(std::count(scale_token_counts().begin(), scale_token_counts().end(), c.layout.tokens()));
    }
}

TEST(ScaleTier, AFixedLargeChannelCountCapsN) {
  for (const Case& c : draw(preset_scope("af3"), 100, 100)) {
    EXPECT_EQ(c.config.c_z, 128);
    EXPECT_LE(c.layout.tokens(), 257);
    EXPECT_EQ(c.config.r_max, 32);
  }
}

TEST(ScaleTier, ProbeWeightsReadBackEveryPairsBins) {
  const auto lookup = make_backend("cpu");
  for (const Case& c : draw({}, 30, 6)) {
    const Problem problem = c.problem();
    const xt::xtensor<float, 4> out = compute_fp32(*lookup, problem);
    const BinParams params = problem.bins();
    const std::int64_t n = problem.layout.tokens();
    for (std::int64_t b = 0; b < problem.layout.batch(); ++b)
      for (std::int64_t i = 0; i < n; i += 7)
        for (std::int64_t j = 0; j < n; j += 5) {
          const PairBins bins = pair_bins(params, problem.layout.token(b, i), problem.layout.token(b, j));
          ASSERT_EQ(out(b, i, j, 0), static_cast<float>(bins.d_res + 1));
          ASSERT_EQ(out(b, i, j, 1), static_cast<float>(bins.d_tok + 1));
          ASSERT_EQ(out(b, i, j, 2), bins.same_entity ? 1.0f : 0.0f);
          ASSERT_EQ(out(b, i, j, 3), static_cast<float>(bins.d_chain + 1));
        }
  }
}

TEST(ScaleTier, ATileBugShrinksToTheSmallestNThatShowsIt) {
  const auto lookup = make_backend("cpu");
  // Wrong only past one 256-token tile: the last row's first element is off by one.
  const Implementation second_tile = implementation("second-tile", [&](const Problem& p, const PairOutput& out) {
    lookup->run(p, out);
    const std::int64_t n = p.layout.tokens();
    if (n > 256 && out.mode == OutputMode::write_fp32) out.fp32()[(n - 1) * n * p.config.c_z] += 1.0f;
  });
  ProveOptions options;
  options.properties = {Property::scale};
  options.cases = 200;
  const Report report = prove(second_tile, options);
  const PropertyResult* failure = report.first_failure();
  ASSERT_NE(failure, nullptr) << report.text();
  ASSERT_TRUE(failure->counterexample.has_value()) << report.text();
  EXPECT_EQ(failure->counterexample->value.layout.tokens(), 257) << report.text();
  EXPECT_NE(failure->counterexample->report.find("probe reading of channel 0"), std::string::npos) << report.text();
}

}  // namespace
}  // namespace relpos::harness
