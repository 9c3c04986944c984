// Cases and the transforms the metamorphic properties apply.
#include <gtest/gtest.h>

#include <limits>

#include <fmt/format.h>

#include "relpos/backends/registry.hpp"
#include "relpos/errors.hpp"
#include "relpos/harness/case.hpp"
#include "relpos/harness/properties.hpp"
#include "relpos/layouts/complex_builder.hpp"
#include "relpos/harness/show.hpp"
#include "relpos/synthetic_weights.hpp"

namespace relpos::harness {
namespace {

Case small_case() {
  Case c;
  c.config = Config{2, 1, 3};
  c.layout = Layout::from_arrays({0, 0, 1}, {5, 6, 1}, {0, 0, 1}, {0, 0, 0}, {0, 1, 2});
  c.weights = protenix_synthetic_weights(c.config, 3);
  c.transform.permutation = {2, 0, 1};
  c.transform.asym_relabelling = {{0, 7}, {1, 3}};
  c.transform.entity_relabelling = {{0, 1}, {1, 0}};
  return c;
}

TEST(Case, TotalTokensCountsTheWholeBatch) {
  Case c = small_case();
  EXPECT_EQ(c.total_tokens(), 3);
  const std::vector<Layout> two = {c.layout, c.layout};
  c.layout = Layout::stack(two);
  EXPECT_EQ(c.total_tokens(), 6);
}

TEST(Case, PermuteTokensAndPermutePairsAgree) {
  const Case c = small_case();
  const Layout permuted = permute_tokens(c.layout, c.transform.permutation);
  EXPECT_EQ(permuted.residue_index(0, 0), 1);  // token 2 moved first
  EXPECT_EQ(permuted.residue_index(0, 1), 5);
  xt::xtensor<float, 4> out(std::array<std::size_t, 4>{1, 3, 3, 1});
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 3; ++j) out(0, i, j, 0) = static_cast<float>(10 * i + j);
  const auto moved = permute_pairs(out, c.transform.permutation);
  EXPECT_EQ(moved(0, 0, 1, 0), 20.0f);  // (perm[0], perm[1]) = (2, 0)
  EXPECT_EQ(moved(0, 2, 2, 0), 11.0f);
}

TEST(Case, ShiftsAndRelabellingsTouchOnlyTheirField) {
  const Case c = small_case();
  const Layout shifted = add_to_field(c.layout, IdField::residue_index, -5);
  EXPECT_EQ(shifted.residue_index(0, 0), 0);
  EXPECT_EQ(shifted.asym_id, c.layout.asym_id);
  const Layout relabelled = relabel_field(c.layout, IdField::asym_id, c.transform.asym_relabelling);
  EXPECT_EQ(relabelled.asym_id(0, 0), 7);
  EXPECT_EQ(relabelled.asym_id(0, 2), 3);
  EXPECT_EQ(relabelled.residue_index, c.layout.residue_index);
}

TEST(Case, ValidateRejectsTransformsThatDoNotFit) {
  EXPECT_NO_THROW(validate(small_case()));
  Case c = small_case();
  c.transform.permutation = {0, 0, 1};
  EXPECT_THROW(validate(c), InputError);
  c = small_case();
  c.transform.asym_relabelling = {{0, 4}, {1, 4}};
  EXPECT_THROW(validate(c), InputError);
  c = small_case();
  c.transform.asym_relabelling = {{0, 1}};  // 0 -> 1 while asym 1 stays: two chains merge
  EXPECT_THROW(validate(c), InputError);
  c = small_case();
  c.layout.token_index(0, 2) = std::numeric_limits<std::int64_t>::max();
  c.transform.token_shift = 1;
  EXPECT_THROW(validate(c), InputError);
  c = small_case();
  c.transform.threads = 0;
  EXPECT_THROW(validate(c), InputError);
}

TEST(Case, InitialAccumulatorIsReproducibleAndFinite) {
  Case c = small_case();
  c.transform.accumulator_seed = 99;
  const auto a = initial_accumulator(c), b = initial_accumulator(c);
  EXPECT_EQ(a, b);
  std::size_t zeros = 0;
  for (float v : a) {
    EXPECT_TRUE(std::isfinite(v));
    zeros += v == 0;
  }
  EXPECT_LT(zeros, a.size());
}

TEST(ShiftByPeriods, MovesOddResiduesOfOddPeriodChainsWhoseSpanIsBelowThePeriod) {
  ComplexBuilder builder;
  builder.residue_range({0, 0, 0, 7}, 1, 7);          // shiftable: period 7, span 6
  builder.residue_range({1, 1, 0, 8}, 1, 8);          // even period: no
  builder.residue_range({2, 2, 0, 3}, 1, 5);          // span 4 >= period 3: no
  builder.residue_range({3, 3, 0}, 1, 3).ion({4, 4, 0});  // not cyclic
  const Layout layout = builder.build();
  const Layout shifted = shift_by_periods(layout, -2);
  for (std::int64_t t = 0; t < layout.tokens(); ++t) {
    const std::int64_t residue = layout.residue_index(0, t);
    const bool moves = layout.asym_id(0, t) == 0 && residue % 2 != 0;
    EXPECT_EQ(shifted.residue_index(0, t), moves ? residue - 14 : residue) << "token " << t;
  }
  EXPECT_TRUE(shift_by_periods(layout, 0) == layout);
}

TEST(CyclicShiftProperty, HoldsForTheReferenceAndCatchesAnExactIntegerWrapThatIgnoresPeriods) {
  Case c;
  c.config = Config{32, 2, 4};
  c.config.cyclic = Cyclic::boltz;
  c.layout = ComplexBuilder().residue_range({0, 0, 0, 9}, 1, 9).residue_range({1, 1, 0}, 1, 4).build();
  c.weights = protenix_synthetic_weights(c.config, 9);
  c.transform.permutation = {12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
  c.transform.period_multiple = 1;
  EXPECT_TRUE(check(Property::cyclic_shift, c, backend_implementation("cpu")).passed);
  // A kernel that never wraps (cyclic treated as none) sees the shifted offsets.
  const Implementation unwrapped = implementation("never-wraps", [](const Problem& p, const PairOutput& out) {
    Config plain = p.config;
    plain.cyclic = Cyclic::none;
    make_backend("onehot")->run(Problem{plain, p.layout, p.weights}, out);
  });
  const Verdict verdict = check(Property::cyclic_shift, c, unwrapped);
  EXPECT_FALSE(verdict.passed);
  EXPECT_NE(verdict.report.find("cyclic-shift"), std::string::npos) << verdict.report;
}

TEST(Show, DescribesTheConfigTheFiveArraysAndTheTransform) {
  const std::string text = describe(small_case());
  EXPECT_NE(text.find("r_max=2 s_max=1 c_z=3 variant=af3 cyclic=none precision=fp32 (F = 17)"), std::string::npos) << text;
  EXPECT_NE(text.find("residue_index [5, 6, 1]"), std::string::npos) << text;
  EXPECT_NE(text.find("token_index   [0, 1, 2]"), std::string::npos) << text;
  EXPECT_NE(text.find("permutation [2, 0, 1]"), std::string::npos) << text;
  EXPECT_NE(text.find("asym {0->7, 1->3}"), std::string::npos) << text;
  EXPECT_NE(text.find("weights [3, 17] (rows = output channels)"), std::string::npos) << text;
  EXPECT_NE(describe(small_case(), 10).find("weights [3, 17]: 51 values"), std::string::npos);
}

TEST(Show, CompactListWritesRunsOfFourOrMoreAsOneItem) {
  const auto compact = [](std::vector<std::int64_t> values) { return compact_list(values); };
  EXPECT_EQ(compact({5, 6, 1}), "[5, 6, 1]");
  EXPECT_EQ(compact({1, 2, 3}), "[1, 2, 3]");
  EXPECT_EQ(compact({0, 0, 0, 0, 0}), "[0 (x5)]");
  EXPECT_EQ(compact({1, 2, 3, 4, 5, 9}), "[1..5, 9]");
  EXPECT_EQ(compact({4, 3, 2, 1, 0}), "[4..0]");
  EXPECT_EQ(compact({0, 0, 0, 0, 1, 2, 3, 4, 7, 7}), "[0 (x4), 1..4, 7, 7]");
  EXPECT_EQ(compact({}), "[]");
  // Differences across the whole int64 range must not overflow into a false run.
  constexpr std::int64_t low = std::numeric_limits<std::int64_t>::min(), high = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(compact({high, low, high, low}), fmt::format("[{}, {}, {}, {}]", high, low, high, low));
  EXPECT_EQ(compact({high - 3, high - 2, high - 1, high}), fmt::format("[{}..{}]", high - 3, high));
}

TEST(Show, ALongScaleLayoutStaysShort) {
  const std::size_t n = 2049;
  std::vector<std::int64_t> zeros(n, 0), residues(n), tokens(n);
  for (std::size_t t = 0; t < n; ++t) residues[t] = static_cast<std::int64_t>(t) + 1, tokens[t] = static_cast<std::int64_t>(t);
  const Layout layout = Layout::from_arrays<std::int64_t>(zeros, residues, zeros, zeros, tokens);
  const std::string text = describe_layout(layout);
  EXPECT_NE(text.find("residue_index [1..2049]"), std::string::npos) << text;
  EXPECT_NE(text.find("asym_id       [0 (x2049)]"), std::string::npos) << text;
  EXPECT_LT(text.size(), 400u) << text;
}

}  // namespace
}  // namespace relpos::harness
