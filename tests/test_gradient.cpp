// The weight gradient: a hand-computed case, every backend's backward against
// the sequential reference, thread-count determinism of the fused CPU
// gradient, and the any-order bound that judges reordered sums.
#include <gtest/gtest.h>

#include <random>

#include "relpos/backends/registry.hpp"
#include "relpos/errors.hpp"
#include "relpos/gradient.hpp"

namespace relpos {
namespace {

// Two tokens of one chain, residues 1 and 2, r_max 1, s_max 0 (F = 11:
// residue bins 0-3, token bins 4-7, entity 8, chain bins 9-10). Hot columns by
// hand (SPEC part 1): (0,0) and (1,1): residue bin 1, token bin 1 (column 5:
// same residue), entity (8), chain bin clip(0 + s) = 0 (column 9: same entity);
// (0,1): residue bin 0, token "other" bin 2r+1 (column 7: residues differ),
// 8, 9; (1,0): residue bin 2, column 7, 8, 9.
struct TwoTokens {
  Config config{1, 0, 1};
  Layout layout = Layout::from_arrays({0, 0}, {1, 2}, {0, 0}, {0, 0}, {0, 1});
  Weights weights = Weights(std::array<std::size_t, 2>{1, 11}, 0.25f);
  std::vector<float> grad_output{1, 2, 4, 8};  // pairs (0,0), (0,1), (1,0), (1,1)
  Problem problem() const { return {config, layout, weights}; }
};

TEST(Gradient, EveryBackwardMatchesAHandComputedCase) {
  const TwoTokens t;
  const std::vector<float> expected{2, 9, 4, 0, 0, 9, 0, 6, 15, 15, 0};
  for (const std::string& name : backend_names()) {
    const auto backend = make_backend(name);
    if (!backend->availability().available || !backend->has_backward()) continue;
    const GradWeight got = compute_weight_gradient(*backend, t.problem(), t.grad_output);
    ASSERT_EQ(got.size(), expected.size()) << name;
    for (std::size_t f = 0; f < expected.size(); ++f) EXPECT_EQ(got(0, f), expected[f]) << name << " column " << f;
  }
}

TEST(Gradient, TermsCountPairsPerColumnAndSumExactly) {
  const TwoTokens t;
  const GradientTerms terms = gradient_terms(t.problem(), t.grad_output);
  EXPECT_EQ(terms.count[8], 4);   // the entity column: every pair is same-entity
  EXPECT_EQ(terms.count[1], 2);   // residue bin 1: the diagonal
  EXPECT_EQ(terms.count[3], 0);
  EXPECT_EQ(terms.exact(0, 1), 9.0);
  EXPECT_EQ(terms.magnitude(0, 8), 15.0);
  EXPECT_EQ(describe_column(t.config, 1), "residue bin 1");
  EXPECT_EQ(terms.count[7], 2);   // token "other" bin: the off-diagonal pairs
  EXPECT_EQ(describe_column(t.config, 6), "token bin 2");
  EXPECT_EQ(describe_column(t.config, 8), "entity");
  EXPECT_EQ(terms.count[9], 4);
  EXPECT_EQ(describe_column(t.config, 10), "chain bin 1");
}

// Three chains (two copies of one entity), 150 tokens, c_z 19, G normal.
struct Larger {
  Config config{32, 2, 19};
  Layout layout;
  Weights weights;
  std::vector<float> grad_output;
  Larger() {
    const std::int64_t n = 150;
    std::vector<std::int64_t> asym(n), residue(n), entity(n), sym(n), token(n);
    for (std::int64_t t = 0; t < n; ++t) {
      asym[t] = t / 50;
      residue[t] = t % 50 + 1;
      entity[t] = t < 100 ? 0 : 1;
      sym[t] = t < 100 ? t / 50 : 0;
      token[t] = t;
    }
    layout = Layout::from_arrays<std::int64_t>(asym, residue, entity, sym, token);
    weights = Weights(std::array<std::size_t, 2>{19, 139}, 0.0f);
    std::mt19937 random(7);
    std::normal_distribution<float> normal;
    grad_output.resize(static_cast<std::size_t>(n * n * 19));
    for (float& g : grad_output) g = normal(random);
  }
  Problem problem() const { return {config, layout, weights}; }
};

TEST(Gradient, FusedCpuGradientIsBitwiseTheSameForAnyThreadCount) {
  const Larger l;
  const GradWeight one = compute_weight_gradient(*make_backend("cpu", {.threads = 1}), l.problem(), l.grad_output);
  for (int threads : {2, 3, 5, 64}) {
    const GradWeight many =
        compute_weight_gradient(*make_backend("cpu", {.threads = threads}), l.problem(), l.grad_output);
    ASSERT_EQ(std::memcmp(one.data(), many.data(), one.size() * sizeof(float)), 0) << threads << " threads";
  }
}

TEST(Gradient, ReorderedSumsPassTheAnyOrderBoundAndTheReferenceIsBitwise) {
  const Larger l;
  const Problem problem = l.problem();
  const GradientTerms terms = gradient_terms(problem, l.grad_output);
  const GradWeight reference = compute_weight_gradient(*make_reference_backend(), problem, l.grad_output);
  for (const char* name : {"onehot", "onehot-blas", "cpu"}) {
    const auto backend = make_backend(name);
    const GradWeight got = compute_weight_gradient(*backend, problem, l.grad_output);
    const GradientComparison verdict = compare_gradient(problem, terms, reference, got, backend->gradient_policy());
    EXPECT_TRUE(verdict.passed()) << name << ": " << verdict.report(problem.config);
  }
  EXPECT_EQ(make_backend("onehot")->gradient_policy(), Policy::bitwise());
  EXPECT_EQ(make_backend("cpu")->gradient_policy(), Policy::any_order());
}

TEST(Gradient, TheAnyOrderBoundCatchesAWrongElementAndNamesItsColumn) {
  const Larger l;
  const Problem problem = l.problem();
  const GradientTerms terms = gradient_terms(problem, l.grad_output);
  const GradWeight reference = compute_weight_gradient(*make_reference_backend(), problem, l.grad_output);
  GradWeight wrong = reference;
  const std::size_t entity = static_cast<std::size_t>(problem.config.entity_column());
  // The entity column's gradient of channel 3 dropped: |S| is far outside
  // gamma(n - 1) sum |terms| (a single dropped term of ~1 is not, at n ~ 10^4:
  // the bound is loose on large layouts by nature; small ones catch that).
  wrong(3, entity) = 0;
  const GradientComparison verdict = compare_gradient(problem, terms, reference, wrong, Policy::any_order());
  EXPECT_FALSE(verdict.passed());
  EXPECT_EQ(verdict.mismatches, 1);
  const std::string report = verdict.report(problem.config);
  EXPECT_NE(report.find("dW[c=3, f=132] (entity)"), std::string::npos) << report;
  EXPECT_NE(report.find("under anyorder"), std::string::npos) << report;
}

TEST(Gradient, BadShapesAndMissingBackwardsAreInputErrors) {
  const TwoTokens t;
  const auto cpu = make_backend("cpu");
  std::vector<float> dw(11);
  EXPECT_THROW(cpu->backward(t.problem(), std::span<const float>(t.grad_output).first(3), dw), InputError);
  std::vector<float> short_dw(10);
  EXPECT_THROW(cpu->backward(t.problem(), t.grad_output, short_dw), InputError);
  for (const std::string& name : backend_names()) {
    const auto backend = make_backend(name);
    if (!backend->has_backward()) EXPECT_THROW(backend->backward(t.problem(), t.grad_output, dw), InputError) << name;
  }
  EXPECT_EQ(Policy::parse("anyorder"), Policy::any_order());
  EXPECT_EQ(Policy::any_order().str(), "anyorder");
  EXPECT_THROW(Policy::parse("anyorder:3"), InputError);
}

TEST(Gradient, ABackwardStatesItsWorkspace) {
  MemoryShape shape;
  shape.config = Config{32, 2, 128};
  shape.batch = 1;
  shape.tokens = 1024;
  const Workspace cpu = make_backend("cpu")->backward_workspace(shape);
  ASSERT_EQ(cpu.buffers.size(), 1u);
  EXPECT_EQ(cpu.buffers[0].bytes, 32u * 139u * 128u * 4u);
  const Workspace blas = make_backend("onehot-blas")->backward_workspace(shape);
  EXPECT_EQ(blas.buffers.size(), 2u);
}

}  // namespace
}  // namespace relpos
