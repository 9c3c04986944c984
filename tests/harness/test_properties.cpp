// The laws one at a time on hand-made cases: what passes, what fails and what the report says.
#include <gtest/gtest.h>

#include <algorithm>

#include "relpos/errors.hpp"
#include "relpos/harness/gtest.hpp"
#include "relpos/harness/mutants.hpp"
#include "relpos/harness/properties.hpp"
#include "relpos/synthetic_weights.hpp"

namespace relpos::harness {
namespace {

// A homomer pair and a per-atom residue, a crop gap and a second batch element.
Case rich_case() {
  Case c;
  c.config = Config{2, 1, 5};
  const Layout a = Layout::from_arrays({0, 0, 0, 1, 1}, {1, 2, 2, 1, 9}, {0, 0, 0, 0, 0}, {0, 0, 0, 1, 1}, {0, 1, 2, 5, 7});
  const Layout b = Layout::from_arrays({3, 3, 4, 4, 4}, {7, 7, 7, 8, 40}, {1, 1, 2, 2, 2}, {0, 0, 0, 0, 0}, {9, 10, 11, 12, 13});
  const std::vector<Layout> elements = {a, b};
  c.layout = Layout::stack(elements);
  c.weights = protenix_synthetic_weights(c.config, 5);
  c.transform.permutation = {4, 2, 0, 3, 1};
  c.transform.residue_shift = -1000;
  c.transform.token_shift = 1ll << 40;
  c.transform.sym_shift = 3;
  c.transform.asym_relabelling = {{0, 40}, {1, -2}, {3, 0}, {4, 1}};
  c.transform.entity_relabelling = {{0, 5}, {1, 6}, {2, 0}};
  c.transform.chunk_rows = 7;
  c.transform.threads = 3;
  c.transform.accumulator_seed = 11;
  return c;
}

const Mutant& mutant_named(const std::string& name) {
  static const std::vector<Mutant> all = mutants();
  for (const Mutant& m : all)
    if (m.name == name) return m;
  throw std::logic_error("no mutant " + name);
}

TEST(Properties, NamesRoundTripAndUnknownNamesAreInputErrors) {
  for (Property p : all_properties()) EXPECT_EQ(parse_property(to_string(p)), p);
  EXPECT_EQ(all_properties().size(), 21u);  // 15 + scale (the tier past 64 tokens) + 5 of the backward
  EXPECT_THROW(parse_property("speed"), InputError);
}

// The "add a property" recipe (docs/architecture.md): every table entry has a
// name, a law for the reports and an applicability rule, and prove runs it.
TEST(Properties, EveryEntryHasANameALawAndRunsInProve) {
  ProveOptions options = test_options();
  options.cases = 3;
  options.regressions.clear();
  const Implementation cpu = backend_implementation("cpu");  // has every option, so every property applies
  const Report report = prove(cpu, options);
  for (Property p : all_properties()) {
    EXPECT_FALSE(describe(p).empty()) << to_string(p);
    EXPECT_TRUE(not_applicable(p, cpu, Scope{}).empty()) << to_string(p);
    const auto ran = std::count_if(report.properties.begin(), report.properties.end(),
                                   [&](const PropertyResult& r) { return r.property == p; });
    EXPECT_EQ(ran, 1) << to_string(p);
  }
}

TEST(Properties, EveryBackendHereObeysEveryLawOnTheRichCase) {
  const Case c = rich_case();
  for (const char* name : {"onehot", "onehot-blas", "cpu"}) {
    const Implementation impl = backend_implementation(name);
    for (Property p : all_properties()) {
      const Verdict v = check(p, c, impl, policy_for(impl));
      EXPECT_TRUE(v.passed) << name << " " << to_string(p) << "\n" << v.report;
    }
  }
}

TEST(Properties, DefaultPolicyIsBitwiseForExactOrderAndBound6Otherwise) {
  EXPECT_EQ(policy_for(backend_implementation("cpu")), Policy::bitwise());
  EXPECT_EQ(policy_for(backend_implementation("onehot-blas")), Policy::bound(6));
  EXPECT_EQ(policy_for(backend_implementation("cpu"), Policy::bound(3)), Policy::bound(3));
}

TEST(Properties, StructureNamesTheLawThatBroke) {
  const Case c = rich_case();
  const Verdict entity = check(Property::structure, c, mutant_named("entity-bit-from-same-chain").implementation,
                               Policy::bitwise());
  ASSERT_FALSE(entity.passed);
  EXPECT_NE(entity.report.find("hot columns, expected 3 + same_entity"), std::string::npos) << entity.report;
  const Verdict swapped = check(Property::structure, c, mutant_named("offsets-j-minus-i").implementation,
                                Policy::bitwise());
  ASSERT_FALSE(swapped.passed);
  EXPECT_NE(swapped.report.find("differ from the definition"), std::string::npos) << swapped.report;
  const Verdict dropped = check(Property::structure, c, mutant_named("last-chunk-dropped").implementation,
                                Policy::bitwise());
  ASSERT_FALSE(dropped.passed);
  EXPECT_NE(dropped.report.find("unwritten"), std::string::npos) << dropped.report;
}

TEST(Properties, EachModeHasItsOwnLaw) {
  const Case c = rich_case();
  EXPECT_TRUE(check(Property::fp32, c, mutant_named("bf16-truncated").implementation, Policy::bitwise()).passed);
  EXPECT_FALSE(check(Property::bf16, c, mutant_named("bf16-truncated").implementation, Policy::bitwise()).passed);
  EXPECT_TRUE(check(Property::fp32, c, mutant_named("accumulate-overwrites").implementation, Policy::bitwise()).passed);
  EXPECT_FALSE(
      check(Property::accumulate, c, mutant_named("accumulate-overwrites").implementation, Policy::bitwise()).passed);
}

TEST(Properties, BatchSplitCatchesIdsBroadcastFromElementZero) {
  const Verdict v = check(Property::batch_split, rich_case(), mutant_named("batch-element-0-ids").implementation,
                          Policy::bitwise());
  ASSERT_FALSE(v.passed);
  EXPECT_NE(v.report.find("batch element 1 computed alone differs"), std::string::npos) << v.report;
}

TEST(Properties, ReorderedSumFailsBitwiseAndPassesBound6) {
  const Implementation& reordered = mutant_named("reordered-sum").implementation;
  Case c = rich_case();
  c.config.c_z = 64;  // enough channels that some rounding differs
  c.weights = protenix_synthetic_weights(c.config, 8);
  EXPECT_FALSE(check(Property::fp32, c, reordered, Policy::bitwise()).passed);
  for (Property p : all_properties())
    if (not_applicable(p, reordered).empty()) EXPECT_TRUE(check(p, c, reordered, Policy::bound(6)).passed) << to_string(p);
}

TEST(Properties, ExceptionsFailThePropertyButFatalErrorsStopTheRun) {
  const Case c = rich_case();
  const Implementation throws = implementation("throws", [](const Problem&, const PairOutput&) {
    throw std::runtime_error("kernel launch failed");
  });
  const Verdict v = check(Property::fp32, c, throws, Policy::bitwise());
  EXPECT_FALSE(v.passed);
  EXPECT_NE(v.report.find("the implementation threw: kernel launch failed"), std::string::npos);
  const Implementation fatal = implementation("fatal", [](const Problem&, const PairOutput&) {
    throw FatalError("cannot start");
  });
  EXPECT_THROW(check(Property::fp32, c, fatal, Policy::bitwise()), FatalError);
}

TEST(Properties, CheckingAPropertyThatDoesNotApplyIsAnInputError) {
  const Implementation impl = implementation("x", [](const Problem&, const PairOutput&) {});
  EXPECT_THROW(check(Property::threads, rich_case(), impl, Policy::bitwise()), InputError);
}

TEST(Properties, NotApplicableSaysWhy) {
  Implementation impl = implementation("x", [](const Problem&, const PairOutput&) {});
  impl.modes.accumulate = false;
  EXPECT_EQ(not_applicable(Property::accumulate, impl), "no accumulate mode");
  EXPECT_EQ(not_applicable(Property::threads, impl), "no chunk/thread options to vary");
  EXPECT_EQ(not_applicable(Property::fp32, impl), "");
  EXPECT_EQ(not_applicable(Property::threads, backend_implementation("cpu")), "");
}

}  // namespace
}  // namespace relpos::harness
