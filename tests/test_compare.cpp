// The comparator's counts, maxima, policies and reports.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "relpos/backend.hpp"
#include "relpos/backends/registry.hpp"
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
  for (const char* policy : {"bitwise", "bound:0", "ulp:0", "allclose", "rbound:6"}) {
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
  EXPECT_FALSE(check("rbound:6").passed());
  EXPECT_TRUE(check("bitwise+nan").passed());
  EXPECT_TRUE(check("rbound:6+nan").passed()) << check("rbound:6+nan").report();
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

TEST_F(CompareTest, InfinityAgainstAFiniteValueFailsEveryPolicy) {
  xt::xtensor<float, 4> expected = reference;
  expected.data()[flat(1, 2, 3)] = std::numeric_limits<float>::infinity();
  for (const char* text : {"allclose", "allclose:1,1", "bound:6", "rbound:6", "ulp:1000"}) {
    const Comparison c =
        compare(problem, {expected.data(), expected.size()}, {reference.data(), reference.size()}, Precision::fp32,
                Policy::parse(text));
    EXPECT_EQ(c.mismatches, 1) << text;
  }
  // Equal infinities are equal values.
  EXPECT_TRUE(compare(problem, {expected.data(), expected.size()}, {expected.data(), expected.size()}, Precision::fp32,
                      Policy::allclose())
                  .passed());
}

// The rounded bound's interval R(S - b) .. R(S + b) for one element, by hand:
// S the exact sum of the four terms (in the regime), b = K 2^-24 sum |t|.
class RoundedBoundTest : public CompareTest {
 protected:
  const std::int64_t i = 0, j = 1, c = 2;  // same chain, same entity: four terms
  std::array<double, 4> terms(Precision precision) const {
    const BinParams params = problem.bins();
    const HotColumns hot = hot_columns(params, pair_bins(params, layout.token(0, i), layout.token(0, j)));
    std::array<double, 4> t{};
    int k = 0;
    for (std::int32_t column : {hot.residue, hot.token, hot.entity, hot.chain}) {
      const float w = weights(c, column);
      t[k++] = precision == Precision::bf16_autocast ? round_to_bf16(w) : w;
    }
    return t;
  }
  Comparison with_value(float value, Precision precision) {
    Config regime = config;
    regime.precision = precision;
    const Problem p{regime, layout, weights};
    // Every other element as the reference computes it in the regime.
    xt::xtensor<float, 4> got = compute_in_precision(
        [](const Problem& q, const PairOutput& out) { make_backend("onehot")->run(q, out); }, p);
    got.data()[flat(i, j, c)] = value;
    xt::xtensor<float, 4> expected = got;
    expected.data()[flat(i, j, c)] = value;  // both sides are held to the interval
    return compare(p, {expected.data(), expected.size()}, {got.data(), got.size()}, precision, Policy::rounded_bound(6));
  }
};

TEST_F(RoundedBoundTest, Fp32AcceptsEveryValueWithinBOfTheExactSumAndNothingElse) {
  const auto t = terms(Precision::fp32);
  const double exact = t[0] + t[1] + t[2] + t[3];
  const double b = 6 * 0x1p-24 * (std::abs(t[0]) + std::abs(t[1]) + std::abs(t[2]) + std::abs(t[3]));
  float inside = static_cast<float>(exact);
  while (std::abs(double{next_up(inside)} - exact) <= b) inside = next_up(inside);
  EXPECT_EQ(with_value(inside, Precision::fp32).mismatches, 0);
  const Comparison beyond = with_value(next_up(inside), Precision::fp32);
  ASSERT_EQ(beyond.mismatches, 1);
  EXPECT_NE(beyond.report().find("allowed ["), std::string::npos) << beyond.report();
}

TEST_F(RoundedBoundTest, Bf16RegimesAcceptOnlyTheRoundingsOfTheInterval) {
  for (Precision precision : {Precision::bf16, Precision::bf16_autocast}) {
    const auto t = terms(precision);
    const double exact = t[0] + t[1] + t[2] + t[3];
    const float correctly_rounded = round_to_bf16(static_cast<float>(exact));
    EXPECT_EQ(with_value(correctly_rounded, precision).mismatches, 0) << to_string(precision);
    // One bf16 step away is outside: b is far smaller than a bf16 ulp here.
    const float next = bf16_to_float(static_cast<bf16_bits>(bf16_round(correctly_rounded) + 1));
    EXPECT_EQ(with_value(next, precision).mismatches, 1) << to_string(precision);
    // A value that is not a bf16 value cannot be a rounding of anything.
    EXPECT_EQ(with_value(next_up(correctly_rounded), precision).mismatches, 1) << to_string(precision);
  }
}

TEST_F(RoundedBoundTest, AnExpectedValueOutsideTheIntervalFailsToo) {
  Config regime = config;
  regime.precision = Precision::bf16;
  const Problem p{regime, layout, weights};
  xt::xtensor<float, 4> expected = compute_in_precision([](const Problem& q, const PairOutput& out) {
    make_backend("onehot")->run(q, out);
  }, p);
  const xt::xtensor<float, 4> got = expected;
  expected.data()[flat(i, j, c)] = 0.0f;  // a tampered fixture
  const Comparison tampered =
      compare(p, {expected.data(), expected.size()}, {got.data(), got.size()}, Precision::bf16, Policy::rounded_bound(6));
  EXPECT_EQ(tampered.mismatches, 1) << tampered.report();
}

TEST_F(RoundedBoundTest, IdenticalInfinitiesPassAndTheReportShowsACollapsedInterval) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(with_value(inf, Precision::fp32).mismatches, 0);  // as under every other policy
  // In bf16 the interval rounds to one value: the report still names it as an interval.
  const auto t = terms(Precision::bf16);
  const float rounded = round_to_bf16(static_cast<float>(t[0] + t[1] + t[2] + t[3]));
  const float next = bf16_to_float(static_cast<bf16_bits>(bf16_round(rounded) + 1));
  const Comparison off = with_value(next, Precision::bf16);
  ASSERT_EQ(off.mismatches, 1);
  EXPECT_NE(off.report().find(fmt::format("allowed [{:.9g}, {:.9g}]", rounded, rounded)), std::string::npos)
      << off.report();
}

TEST(RoundToBf16Exactly, RoundsOnceToNearestEvenWithoutPassingThroughFloat) {
  EXPECT_EQ(round_to_bf16_exactly(1.0), 1.0);
  EXPECT_EQ(round_to_bf16_exactly(1.0 + 0x1p-8), 1.0);                 // tie: to even
  EXPECT_EQ(round_to_bf16_exactly(1.0 + 0x1p-8 + 0x1p-40), 1.0 + 0x1p-7);  // just above the tie: up
  EXPECT_EQ(round_to_bf16_exactly(1.0 + 3 * 0x1p-8), 1.0 + 0x1p-6);    // tie: to even (up)
  EXPECT_EQ(round_to_bf16_exactly(-(1.0 + 0x1p-8 + 0x1p-40)), -(1.0 + 0x1p-7));
  EXPECT_EQ(round_to_bf16_exactly(0x1p-140), 0.0);                     // below half the subnormal quantum 2^-133
  EXPECT_EQ(round_to_bf16_exactly(0x1p-133), 0x1p-133);
  EXPECT_TRUE(std::isinf(round_to_bf16_exactly(0x1p128)));
  EXPECT_EQ(round_to_bf16_exactly(0.0), 0.0);
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
