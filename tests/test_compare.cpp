// The comparator's counts, maxima, policies and reports.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "relpos/backend.hpp"
#include "relpos/compare.hpp"
#include "relpos/errors.hpp"
#include "relpos/synthetic_weights.hpp"
#include "test_layouts.hpp"

namespace relpos {
namespace {

float next_up(float v) { return std::nextafter(v, std::numeric_limits<float>::infinity()); }

class CompareTest : public ::testing::Test {
 protected:
  Config config{4, 1, 6};
  Layout layout = testing::protein_with_ligand();
  Weights weights = protenix_synthetic_weights(config, 5);
  Problem problem{config, layout, weights};
  xt::xtensor<float, 4> reference = compute_fp32(*make_backend("onehot"), problem);

  Comparison run(const xt::xtensor<float, 4>& got, const Policy& policy, Precision precision = Precision::fp32) {
    return compare(problem, {reference.data(), reference.size()}, {got.data(), got.size()}, precision, policy);
  }
  std::size_t flat(std::int64_t i, std::int64_t j, std::int64_t c) const {
    const std::int64_t n = layout.tokens();
    return static_cast<std::size_t>((i * n + j) * config.c_z + c);
  }
};

TEST_F(CompareTest, IdenticalTensorsPassEveryPolicy) {
  for (const char* policy : {"bitwise", "bound:0", "ulp:0", "allclose"}) {
    const Comparison c = run(reference, Policy::parse(policy));
    EXPECT_TRUE(c.passed()) << policy;
    EXPECT_EQ(c.mismatches, 0);
    EXPECT_EQ(c.elements, static_cast<std::int64_t>(reference.size()));
    EXPECT_EQ(c.max_abs_error, 0.0);
  }
}

TEST_F(CompareTest, SignedZerosAreEqual) {
  xt::xtensor<float, 4> expected = reference;
  xt::xtensor<float, 4> got = reference;
  expected.data()[flat(1, 2, 3)] = 0.0f;
  got.data()[flat(1, 2, 3)] = -0.0f;
  const Comparison c = compare(problem, {expected.data(), expected.size()}, {got.data(), got.size()},
                               Precision::fp32, Policy::bitwise());
  EXPECT_TRUE(c.passed()) << c.report();
}

TEST_F(CompareTest, NanNeverEqualsUnlessAsked) {
  xt::xtensor<float, 4> expected = reference;
  xt::xtensor<float, 4> got = reference;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  expected.data()[flat(0, 0, 0)] = nan;
  got.data()[flat(0, 0, 0)] = nan;
  const auto check = [&](const char* policy) {
    return compare(problem, {expected.data(), expected.size()}, {got.data(), got.size()}, Precision::fp32,
                   Policy::parse(policy));
  };
  EXPECT_FALSE(check("bitwise").passed());
  EXPECT_FALSE(check("bound:6").passed());
  EXPECT_FALSE(check("allclose").passed());
  EXPECT_TRUE(check("bitwise+nan").passed());
  got.data()[flat(0, 0, 0)] = 1.0f;  // NaN against a number fails even with +nan
  EXPECT_FALSE(check("bitwise+nan").passed());
  EXPECT_TRUE(std::isinf(check("bitwise+nan").max_ulp));
}

TEST_F(CompareTest, OneUlpIsABitwiseMismatchWithItsLocationAndBins) {
  xt::xtensor<float, 4> got = reference;
  const std::int64_t i = 3, j = 14, c = 5;  // protein residue 3 against a ligand atom
  got.data()[flat(i, j, c)] = next_up(reference.data()[flat(i, j, c)]);
  const Comparison result = run(got, Policy::bitwise());
  EXPECT_FALSE(result.passed());
  EXPECT_EQ(result.mismatches, 1);
  EXPECT_EQ(result.max_ulp, 1.0);
  EXPECT_EQ(result.max_abs_at, (ElementIndex{0, i, j, c}));
  ASSERT_TRUE(result.first_mismatch.has_value());
  const ElementReport& e = *result.first_mismatch;
  EXPECT_EQ(e.at, (ElementIndex{0, i, j, c}));
  EXPECT_EQ(e.bins.d_res, 2 * config.r_max + 1);  // different chains
  EXPECT_FALSE(e.bins.same_entity);
  EXPECT_EQ(e.row.asym_id, 0);
  EXPECT_EQ(e.col.asym_id, 1);
  const std::string report = result.report();
  EXPECT_NE(report.find("pair (i=3, j=14)"), std::string::npos) << report;
  EXPECT_NE(report.find("d_res=9 d_tok=9 same_entity=0 d_chain=3"), std::string::npos) << report;
  EXPECT_TRUE(run(got, Policy::ulp(1)).passed());
  EXPECT_FALSE(run(got, Policy::ulp(0)).passed());
}

TEST_F(CompareTest, BoundScalesWithTheSumOfTheContributingTerms) {
  // Pair (0, 1): same chain, residue offset -1, other token bin, same entity, sym 0.
  const std::int64_t i = 0, j = 1, c = 2;
  const BinParams params = problem.bins();
  const HotColumns hot = hot_columns(params, pair_bins(params, layout.token(0, i), layout.token(0, j)));
  ASSERT_GE(hot.entity, 0);
  const double magnitude = std::abs(double{weights(c, hot.residue)}) + std::abs(double{weights(c, hot.token)}) +
                           std::abs(double{weights(c, hot.entity)}) + std::abs(double{weights(c, hot.chain)});
  const double allowance = 6 * 0x1p-24 * magnitude;
  xt::xtensor<float, 4> got = reference;
  const float ref = reference.data()[flat(i, j, c)];
  // The largest float within the allowance, then the next one beyond it.
  float inside = ref;
  while (std::abs(double{next_up(inside)} - ref) <= allowance) inside = next_up(inside);
  got.data()[flat(i, j, c)] = inside;
  const Comparison within = run(got, Policy::bound(6));
  EXPECT_TRUE(within.passed()) << within.report();
  got.data()[flat(i, j, c)] = next_up(inside);
  const Comparison beyond = run(got, Policy::bound(6));
  EXPECT_FALSE(beyond.passed());
  ASSERT_TRUE(beyond.worst_mismatch.has_value());
  EXPECT_DOUBLE_EQ(beyond.worst_mismatch->allowed, allowance);
}

TEST_F(CompareTest, AllcloseUsesTorchDefaults) {
  xt::xtensor<float, 4> got = reference;
  const std::size_t k = flat(2, 2, 1);
  got.data()[k] = reference.data()[k] + 0.5e-5f;  // inside atol = 1e-5
  EXPECT_TRUE(run(got, Policy::allclose()).passed());
  got.data()[k] = reference.data()[k] + 1e-3f;
  EXPECT_FALSE(run(got, Policy::allclose()).passed());
  EXPECT_TRUE(run(got, Policy::allclose(0, 2e-3)).passed());
}

TEST_F(CompareTest, CountsAndPercent) {
  xt::xtensor<float, 4> got = reference;
  for (std::int64_t c = 0; c < config.c_z; ++c) got.data()[flat(4, 4, c)] += 1.0f;
  const Comparison result = run(got, Policy::bitwise());
  EXPECT_EQ(result.mismatches, config.c_z);
  EXPECT_DOUBLE_EQ(result.mismatch_percent(), 100.0 * config.c_z / double(reference.size()));
  EXPECT_NEAR(result.max_abs_error, 1.0, 1e-6);
}

TEST_F(CompareTest, SizeMismatchIsAnInputError) {
  std::vector<float> short_buffer(reference.size() - 1);
  EXPECT_THROW(compare(problem, {reference.data(), reference.size()}, short_buffer, Precision::fp32, Policy::bitwise()),
               InputError);
}

TEST(UlpDistance, CountsInTheComparedPrecision) {
  EXPECT_EQ(ulp_distance(1.0f, std::nextafter(1.0f, 2.0f), Precision::fp32), 1.0);
  EXPECT_EQ(ulp_distance(0.0f, -0.0f, Precision::fp32), 0.0);
  EXPECT_EQ(ulp_distance(-std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::denorm_min(),
                         Precision::fp32),
            2.0);
  EXPECT_EQ(ulp_distance(1.0f, round_to_bf16(1.0f + 1.0f / 128), Precision::bf16), 1.0);
}

TEST(Bf16Round, NearestEvenAndSpecials) {
  EXPECT_EQ(bf16_round(1.0f), 0x3f80);
  // 1 + 2^-8 is exactly halfway between bf16 1.0 and 1 + 2^-7: ties to even (1.0).
  EXPECT_EQ(bf16_round(1.0f + 0x1p-8f), 0x3f80);
  // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even).
  EXPECT_EQ(bf16_round(1.0f + 3 * 0x1p-8f), 0x3f82);
  EXPECT_EQ(bf16_round(1.0f + 0x1p-8f + 0x1p-20f), 0x3f81);  // just above halfway rounds up
  EXPECT_EQ(bf16_round(std::numeric_limits<float>::infinity()), 0x7f80);
  EXPECT_EQ(bf16_round(std::numeric_limits<float>::max()), 0x7f80);  // rounds up to inf
  EXPECT_TRUE(std::isnan(bf16_to_float(bf16_round(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_EQ(bf16_round(-0.0f), 0x8000);
}

}  // namespace
}  // namespace relpos
