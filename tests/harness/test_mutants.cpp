// The suite's power, measured: every mutant killed within the CI budget and
// shrunk (median at most 3 tokens); the reordered sum survives bound:6; the
// faithful lookup the mutants are made from passes everything.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "relpos/harness/gtest.hpp"
#include "relpos/harness/mutants.hpp"

namespace relpos::harness {
namespace {

ProveOptions ci_budget() {
  ProveOptions options = test_options();
  options.regressions.clear();
  return options;
}

TEST(Mutants, AtLeastTwentyWithDistinctNames) {
  const auto all = mutants();
  EXPECT_GE(all.size(), 20u);
  std::set<std::string> names;
  for (const Mutant& m : all) {
    EXPECT_TRUE(names.insert(m.name).second) << m.name;
    EXPECT_FALSE(m.divergence.empty()) << m.name;
  }
}

const Mutant& named(const std::vector<Mutant>& all, const std::string& name) {
  const auto it = std::find_if(all.begin(), all.end(), [&](const Mutant& m) { return m.name == name; });
  if (it == all.end()) throw std::runtime_error("no mutant " + name);
  return *it;
}

TEST(Mutants, AScopeThatExcludesEveryConfigWhereOneDiffersDoesNotHuntIt) {
  const auto all = mutants();
  const Scope af3 = preset_scope("af3");  // af3 chain term, no cyclic offsets
  EXPECT_FALSE(named(all, "cyclic-no-fallback").exposure.reachable_in(af3));
  EXPECT_TRUE(named(all, "cyclic-no-fallback").exposure.reachable_in(preset_scope("boltz2")));
  EXPECT_TRUE(named(all, "offsets-j-minus-i").exposure.reachable_in(af3));
  EXPECT_FALSE(named(all, "chain-term-not-same-chain").exposure.reachable_in(Scope{.variants = {Variant::paper}}));
  EXPECT_FALSE(named(all, "bf16-rounds-w").exposure.reachable_in(Scope{.precisions = {Precision::fp32}}));
  EXPECT_TRUE(named(all, "bf16-rounds-w").exposure.reachable_in(Scope{}));

  ProveOptions options = ci_budget();
  options.scope = af3;
  const MutantResult skipped = hunt(named(all, "cyclic-no-fallback"), options);
  EXPECT_FALSE(skipped.applicable);
  EXPECT_EQ(skipped.cases_until_killed, 0);
  const MutantResult hunted = hunt(named(all, "offsets-j-minus-i"), options);
  EXPECT_TRUE(hunted.applicable);
  EXPECT_TRUE(hunted.killed);
}

TEST(Mutants, TheFaithfulLookupTheyComeFromPassesEverything) { RELPOS_EXPECT_EQUIVALENT(faithful_lookup(), ci_budget()); }

// One test for all mutants (hunting them twice, for a median, would double the time).
TEST(Mutants, EveryMutantIsKilledWithinTheCiBudgetAndShrinksToAFewTokens) {
  std::vector<std::int64_t> sizes;
  for (const Mutant& m : mutants()) {
    const MutantResult result = hunt(m, ci_budget());
    EXPECT_TRUE(result.killed) << m.name << " survived " << result.cases_until_killed << " cases";
    if (m.survives_bound)
      EXPECT_TRUE(result.passed_bound) << m.name << " must pass bound:6 (it only reorders the sum)\n"
                                       << result.bound_failure;
    if (!result.killed) continue;
    sizes.push_back(result.shrunk_tokens);
    std::cout << m.name << ": killed by " << to_string(result.killed_by) << " after " << result.cases_until_killed
              << " cases, shrunk to " << result.shrunk_tokens << " tokens in " << result.shrink_steps << " steps"
              << (m.survives_bound ? (result.passed_bound ? "; passes bound:6" : "; FAILS bound:6") : "") << "\n";
  }
  std::sort(sizes.begin(), sizes.end());
  ASSERT_FALSE(sizes.empty());
  const double median = sizes.size() % 2 ? double(sizes[sizes.size() / 2])
                                         : (sizes[sizes.size() / 2 - 1] + sizes[sizes.size() / 2]) / 2.0;
  std::cout << "median shrunk counterexample: " << median << " tokens over " << sizes.size() << " mutants\n";
  EXPECT_LE(median, 3.0);
}

}  // namespace
}  // namespace relpos::harness
