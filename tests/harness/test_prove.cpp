// The suite on every backend (one test per backend and property, so ctest runs
// them in parallel and GTEST_TOTAL_SHARDS spreads them), the coverage gate and
// the runner's contract: seeds, RC_PARAMS, shards, counterexamples.
#include <gtest/gtest.h>

#include <algorithm>

#include <cstdlib>
#include <optional>

#include <fmt/format.h>

#include "relpos/backends/registry.hpp"
#include "relpos/errors.hpp"
#include "relpos/harness/gen_case.hpp"
#include "relpos/harness/gtest.hpp"
#include "relpos/harness/prove.hpp"
#include "relpos/harness/report_merge.hpp"
#include "test_temp_dir.hpp"

namespace relpos::harness {
namespace {

// ---- every backend, every property ----

struct BackendProperty {
  std::string backend;
  Property property;
};

std::vector<BackendProperty> every_backend_and_property() {
  std::vector<BackendProperty> all;
  for (std::string_view backend : backend_names())
    for (Property property : all_properties()) all.push_back({std::string(backend), property});
  return all;
}

void PrintTo(const BackendProperty& p, std::ostream* os) { *os << p.backend << "/" << to_string(p.property); }

class EveryBackend : public ::testing::TestWithParam<BackendProperty> {};

TEST_P(EveryBackend, ObeysTheProperty) {
  const auto& [backend, property] = GetParam();
  const Implementation impl = backend_implementation(backend);
  if (const std::string why = not_applicable(property, impl); !why.empty() && impl.unavailable.empty())
    GTEST_SKIP() << backend << ": " << why;
  ProveOptions options = test_options();
  options.properties = {property};
  RELPOS_EXPECT_EQUIVALENT(impl, options);
}

INSTANTIATE_TEST_SUITE_P(Backends, EveryBackend, ::testing::ValuesIn(every_backend_and_property()),
                         [](const ::testing::TestParamInfo<BackendProperty>& info) {
                           std::string name = info.param.backend + "_" + std::string(to_string(info.param.property));
                           for (char& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

// ---- the coverage gate ----

TEST(CoverageGate, TheCiSuiteHitsEveryFeatureColumnAndBoundary) {
  const ProveOptions options = test_options();
  const Coverage coverage = generated_coverage(options);
  std::cout << "seed " << std::hex << options.seed << std::dec << ", " << options.cases << " cases per property\n"
            << coverage.table();
  std::string missing;
  for (const std::string& name : coverage.missing()) missing += "\n  " + name;
  EXPECT_TRUE(coverage.complete()) << "never hit by the CI budget:" << missing;
  // Every property runs the budget, except the scale tier, which runs a quarter of it (at least 10).
  int expected_cases = 0;
  for (Property p : all_properties()) expected_cases += uses_scale_tier(p) ? std::max(10, options.cases / 4) : options.cases;
  EXPECT_EQ(coverage.cases(), expected_cases);
}

TEST(CoverageGate, EachPresetScopeHitsEverythingItCanReach) {
  for (const char* model : {"af3", "boltz1", "boltz2"}) {
    ProveOptions options = test_options();
    options.scope = preset_scope(model);
    const Coverage coverage = generated_coverage(options);
    std::string missing;
    for (const std::string& name : coverage.missing()) missing += "\n  " + name;
    EXPECT_TRUE(coverage.complete()) << model << ": never hit by the CI budget:" << missing;
  }
}

// ---- scopes ----

TEST(Scope, APresetFixesEveryFieldAndNothingElseIsGenerated) {
  const Scope scope = preset_scope("boltz2");
  rc::Random random(7);
  const rc::Gen<Case> cases = gen::case_({}, scope);
  for (int size = 0; size < 100; size += 3) {
    const Case c = cases(random, size).value();
    EXPECT_EQ(c.config.r_max, 32);
    EXPECT_EQ(c.config.s_max, 2);
    EXPECT_EQ(c.config.c_z, 128);
    EXPECT_EQ(c.config.variant, Variant::af3);
    EXPECT_EQ(c.config.cyclic, Cyclic::boltz);
    EXPECT_EQ(c.config.precision, Precision::bf16_autocast);
    EXPECT_TRUE(scope.allows(c.config));
  }
}

TEST(Scope, DescribesItselfAndRejectsBadValues) {
  EXPECT_EQ(Scope{}.describe(), "everything");
  EXPECT_EQ(preset_scope("af3").describe(),
            "model af3: variant af3, cyclic none, precision bf16-autocast, r_max 32, s_max 2, c_z 128");
  EXPECT_THROW(preset_scope("alphafold9"), InputError);
  Scope bad;
  bad.c_z = 0;
  EXPECT_THROW(validate(bad), InputError);
}

// A strict implementation: the reference inside its scope, an exception outside it.
Implementation strict_af3_fp32() {
  const std::shared_ptr<Backend> reference = make_backend("onehot");
  Implementation impl = implementation("strict-af3-fp32", [reference](const Problem& problem, const PairOutput& out) {
    const Config& c = problem.config;
    if (c.r_max != 32 || c.s_max != 2 || c.c_z != 128 || c.variant != Variant::af3 || c.cyclic != Cyclic::none ||
        c.precision != Precision::fp32 || out.mode != OutputMode::write_fp32)
      throw std::runtime_error("outside scope");
    reference->run(problem, out);
  });
  impl.modes = OutputModes{.write_fp32 = true, .write_bf16 = false, .accumulate = false};
  return impl;
}

TEST(Scope, AStrictImplementationPassesItsScopeAndFailsWithoutOne) {
  ProveOptions options = test_options(10);
  options.regressions.clear();
  options.scope = preset_scope("af3");
  options.scope.precisions = {Precision::fp32};
  const Report inside = prove(strict_af3_fp32(), options);
  EXPECT_TRUE(inside.passed()) << inside.text();
  options.scope = Scope{};
  EXPECT_FALSE(prove(strict_af3_fp32(), options).passed());
}

// ---- the runner ----

// A kernel that is wrong by one ulp-ish nudge wherever a pair spans two chains.
Implementation wrong_across_chains() {
  const std::shared_ptr<Backend> reference = make_backend("onehot");
  return implementation("wrong-across-chains", [reference](const Problem& problem, const PairOutput& out) {
    reference->run(problem, out);
    const std::int64_t n = problem.layout.tokens();
    for (std::int64_t b = 0; b < problem.layout.batch(); ++b)
      for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t j = 0; j < n; ++j)
          if (problem.layout.asym_id(b, i) != problem.layout.asym_id(b, j) && out.mode == OutputMode::write_fp32)
            out.fp32()[((b * n + i) * n + j) * problem.config.c_z] += 1.0f;
  });
}

// A saved two-token case across two chains: wrong_across_chains() fails it.
RegressionCase two_chain_saved_case() {
  RegressionCase saved;
  saved.file = "two-chains.json";
  saved.value.config = Config{1, 0, 2};
  saved.value.layout = Layout::from_arrays({0, 1}, {1, 1}, {0, 1}, {0, 0}, {0, 1});
  saved.value.weights = Weights(std::array<std::size_t, 2>{2, 11}, 0.5f);
  saved.value.transform.permutation = {1, 0};
  return saved;
}

TEST(Prove, AFailureComesBackShrunkWithItsReport) {
  ProveOptions options;
  options.properties = {Property::fp32, Property::permutation};
  const Report report = prove(wrong_across_chains(), options);
  EXPECT_FALSE(report.passed());
  const PropertyResult* failure = report.first_failure();
  ASSERT_NE(failure, nullptr);
  EXPECT_EQ(failure->property, Property::fp32);
  ASSERT_TRUE(failure->counterexample.has_value());
  const Counterexample& cx = *failure->counterexample;
  EXPECT_EQ(cx.value.total_tokens(), 2);  // the smallest layout with two chains
  EXPECT_NE(cx.value.layout.asym_id(0, 0), cx.value.layout.asym_id(0, 1));
  EXPECT_NE(cx.report.find("different chains"), std::string::npos) << cx.report;
  EXPECT_GT(cx.shrink_steps, 0);
  EXPECT_GE(failure->cases, 1);
  EXPECT_EQ(report.properties.size(), 2u);  // the run goes on to the next property
  EXPECT_NE(report.text().find("shrunk counterexample: 2 tokens"), std::string::npos) << report.text();
  const nlohmann::json json = to_json(report);
  EXPECT_EQ(json["properties"][0]["counterexample"]["tokens"], 2);
  EXPECT_FALSE(json["passed"].get<bool>());
}

TEST(Prove, AFailingReportLeadsWithTheCounterexample) {
  ProveOptions options;
  options.cases = 20;
  options.properties = {Property::fp32, Property::permutation, Property::structure};
  const Report report = prove(wrong_across_chains(), options);
  const std::string text = report.text();
  const std::size_t counterexample = text.find("counterexample");
  const std::size_t table = text.find("property          cases");
  ASSERT_NE(counterexample, std::string::npos) << text;
  ASSERT_NE(table, std::string::npos) << text;
  EXPECT_LT(counterexample, table) << text;
  const auto lines_before = std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(text.find("first mismatch")), '\n');
  EXPECT_LT(lines_before, 40) << text;
  EXPECT_NE(text.find("asym_id"), std::string::npos) << text;
  EXPECT_NE(text.find("cases/s"), std::string::npos) << text;
}

TEST(Prove, AFailingSavedCaseIsOneLineAfterTheCounterexample) {
  ProveOptions options;
  options.cases = 5;
  options.properties = {Property::fp32};
  const RegressionCase saved = two_chain_saved_case();
  options.regressions = {saved, saved};
  const std::string failures = prove(wrong_across_chains(), options).failures();
  const std::size_t first_saved = failures.find("saved case two-chains.json fails fp32: ");
  ASSERT_NE(first_saved, std::string::npos) << failures;
  EXPECT_LT(failures.find("shrunk counterexample"), first_saved) << failures;
  // Two saved cases, two lines: nothing of their reports beyond the first line.
  EXPECT_EQ(std::count(failures.begin() + static_cast<std::ptrdiff_t>(first_saved), failures.end(), '\n'), 2) << failures;
}

TEST(Prove, ProgressIsReportedPerCaseAndPerProperty) {
  ProveOptions options;
  options.cases = 7;
  options.properties = {Property::fp32, Property::structure};
  std::vector<Progress> seen;
  options.progress = [&](const Progress& p) { seen.push_back(p); };
  const auto cpu = make_backend("cpu");
  ASSERT_TRUE(prove(*cpu, options).passed());
  const auto finished = std::count_if(seen.begin(), seen.end(), [](const Progress& p) { return p.finished; });
  EXPECT_EQ(finished, 2);
  EXPECT_EQ(seen.size(), 2u * 7u + 2u);  // every case, then each property's end
  EXPECT_EQ(seen.front().cases, 1);
  EXPECT_EQ(seen.front().planned, 7);
  EXPECT_EQ(seen.back().property, Property::structure);
  EXPECT_GE(seen.back().elapsed, seen.front().elapsed);
}

TEST(Prove, ShrinkingIsReportedAsProgress) {
  ProveOptions options;
  options.properties = {Property::fp32};
  int shrink_reports = 0;
  options.progress = [&](const Progress& p) { shrink_reports += p.shrinking; };
  EXPECT_FALSE(prove(wrong_across_chains(), options).passed());
  EXPECT_GT(shrink_reports, 0);
}

TEST(Prove, StopAtFirstFailureEndsTheRun) {
  ProveOptions options;
  options.stop_at_first_failure = true;
  const Report report = prove(wrong_across_chains(), options);
  ASSERT_EQ(report.properties.size(), 1u);
  EXPECT_EQ(report.properties[0].status, PropertyResult::Status::failed);
}

TEST(Prove, TakesBackendsAndPlainCallables) {
  ProveOptions options;
  options.cases = 5;
  options.properties = {Property::fp32, Property::bf16};
  const auto cpu = make_backend("cpu");
  EXPECT_TRUE(prove(*cpu, options).passed());
  const Report report = prove([&](const Problem& p, const PairOutput& out) { cpu->run(p, out); }, options);
  EXPECT_TRUE(report.passed()) << report.failures();
  EXPECT_EQ(report.cases(), 10);
}

TEST(Prove, AnUnavailableImplementationRunsNothing) {
  Implementation impl = implementation("elsewhere", [](const Problem&, const PairOutput&) {});
  impl.unavailable = "elsewhere: no device";
  const Report report = prove(impl);
  EXPECT_FALSE(report.ran());
  EXPECT_FALSE(report.passed());
  EXPECT_TRUE(report.properties.empty());
}

TEST(Prove, SavedCasesAreReplayedFirst) {
  ProveOptions options;
  options.cases = 3;
  options.properties = {Property::fp32};
  const RegressionCase saved = two_chain_saved_case();
  options.regressions = {saved};
  const Report report = prove(wrong_across_chains(), options);
  ASSERT_EQ(report.replays.size(), 1u);
  EXPECT_FALSE(report.replays[0].passed);
  EXPECT_FALSE(report.passed());
  EXPECT_NE(report.failures().find("saved case two-chains.json fails fp32"), std::string::npos);
}

// ---- seeds, RC_PARAMS and shards ----

using ScopedEnvironment = relpos::testing::ScopedEnv;

TEST(ProveOptions, RcParamsOverrideTheDefaults) {
  ScopedEnvironment params("RC_PARAMS", "seed=42 max_success=7 max_size=20 noshrink=1 verbose_progress=1");
  ScopedEnvironment shards("GTEST_TOTAL_SHARDS", nullptr);
  ScopedEnvironment index("GTEST_SHARD_INDEX", nullptr);
  const ProveOptions options = options_from_environment({});
  EXPECT_EQ(options.seed, 42u);
  EXPECT_EQ(options.cases, 7);
  EXPECT_EQ(options.max_size, 20);
  EXPECT_FALSE(options.shrink);
}

TEST(ProveOptions, WithoutRcParamsTheFixedSeedIsUsed) {
  ScopedEnvironment params("RC_PARAMS", nullptr);
  EXPECT_EQ(options_from_environment({}).seed, kDefaultSeed);
  EXPECT_EQ(options_from_environment({}).cases, kCiCases);
}

TEST(ProveOptions, MalformedValuesAreInputErrors) {
  {
    ScopedEnvironment params("RC_PARAMS", "max_success=lots");
    EXPECT_THROW(options_from_environment({}), InputError);
  }
  ScopedEnvironment shards("GTEST_TOTAL_SHARDS", "4");
  ScopedEnvironment index("GTEST_SHARD_INDEX", "4");
  EXPECT_THROW(options_from_environment({}), InputError);
}

TEST(ProveOptions, EachShardAndPropertyGetsItsOwnSeedAndEveryImplementationTheSameCases) {
  ScopedEnvironment params("RC_PARAMS", nullptr);
  ProveOptions one;
  ProveOptions shard0, shard1;
  {
    ScopedEnvironment shards("GTEST_TOTAL_SHARDS", "3");
    ScopedEnvironment index("GTEST_SHARD_INDEX", "1");
    shard1 = options_from_environment({});
  }
  shard0.shard = {0, 3};
  EXPECT_EQ(shard1.shard.index, 1);
  EXPECT_EQ(shard1.shard.total, 3);
  EXPECT_NE(property_seed(shard0, Property::fp32), property_seed(shard1, Property::fp32));
  EXPECT_NE(property_seed(one, Property::fp32), property_seed(one, Property::bf16));
  one.cases = 20;
  one.properties = {Property::fp32};
  shard1.cases = 20;
  shard1.properties = {Property::fp32};
  EXPECT_EQ(generated_coverage(one).pairs(), generated_coverage(one).pairs());  // reproducible
  EXPECT_NE(generated_coverage(one).pairs(), generated_coverage(shard1).pairs());
}

TEST(Shard, ParsesIOverNAndRejectsEverythingElse) {
  const Shard shard = parse_shard("1/3");
  EXPECT_EQ(shard.index, 1);
  EXPECT_EQ(shard.total, 3);
  EXPECT_EQ(parse_shard("0/1").total, 1);
  for (const char* bad : {"2/2", "3/2", "-1/2", "1/0", "x", "1", "1/", "/2", "a/b", "1/2/3", " 1/2"})
    EXPECT_THROW(parse_shard(bad), InputError) << bad;
  try {
    parse_shard("2/2");
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--shard: '2/2' is not a valid shard"), std::string::npos) << e.what();
  }
}

TEST(Shard, SavedCasesAreSplitBetweenShardsWithoutOverlap) {
  ProveOptions options;
  options.cases = 1;
  options.properties = {Property::fp32};
  for (int k = 0; k < 5; ++k) {
    RegressionCase saved;
    saved.file = fmt::format("case-{}.json", k);
    saved.value.config = Config{1, 0, 2};
    saved.value.layout = Layout::from_arrays({0}, {1}, {0}, {0}, {0});
    saved.value.weights = Weights(std::array<std::size_t, 2>{2, 11}, 0.5f);
    saved.value.transform.permutation = {0};
    options.regressions.push_back(saved);
  }
  const auto cpu = make_backend("cpu");
  std::vector<std::string> files;
  for (int index = 0; index < 2; ++index) {
    options.shard = {index, 2};
    for (const ReplayResult& replay : prove(*cpu, options).replays) files.push_back(replay.file.string());
  }
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"case-0.json", "case-1.json", "case-2.json", "case-3.json", "case-4.json"}));
}

// Two shards of one run, as `prove --shard I/2 --json` writes them.
std::vector<ShardReport> two_shards(const Implementation& impl, int cases = 10) {
  ProveOptions options;
  options.cases = cases;
  options.properties = {Property::fp32, Property::structure};
  std::vector<ShardReport> shards;
  for (int index = 0; index < 2; ++index) {
    options.shard = {index, 2};
    shards.push_back({fmt::format("shard-{}.json", index), to_json(prove(impl, options))});
  }
  return shards;
}

TEST(ReportMerge, CasesAndCoverageAddUpOverShards) {
  const auto cpu = make_backend("cpu");
  const std::vector<ShardReport> shards = two_shards(implementation(*cpu));
  const MergedReport merged = merge_reports(shards);
  EXPECT_TRUE(merged.passed) << merged.text;
  EXPECT_EQ(merged.json["cases"].get<int>(), shards[0].report["cases"].get<int>() + shards[1].report["cases"].get<int>());
  EXPECT_EQ(merged.json["properties"][0]["cases"].get<int>(), 20);
  EXPECT_EQ(merged.json["coverage"]["cases"].get<int>(), 40);
  EXPECT_EQ(merged.json["shard"]["merged"], nlohmann::json::parse("[0, 1]"));
  EXPECT_NE(merged.text.find("PASS: 40 cases over 2 shards"), std::string::npos) << merged.text;
  // The shards ran different cases: their pair counts differ.
  EXPECT_NE(shards[0].report["coverage"]["pairs"], shards[1].report["coverage"]["pairs"]);
}

TEST(ReportMerge, AFailingShardFailsTheMergeAndKeepsItsCounterexample) {
  const MergedReport merged = merge_reports(two_shards(wrong_across_chains()));
  EXPECT_FALSE(merged.passed);
  EXPECT_NE(merged.text.find("shrunk counterexample: 2 tokens"), std::string::npos) << merged.text;
  EXPECT_LT(merged.text.find("counterexample"), merged.text.find("property  ")) << merged.text;
  EXPECT_NE(merged.text.find("FAIL:"), std::string::npos) << merged.text;
}

TEST(ReportMerge, MissingRepeatedOrForeignShardsAreInputErrors) {
  const auto cpu = make_backend("cpu");
  std::vector<ShardReport> shards = two_shards(implementation(*cpu), 3);
  const auto message = [](const std::vector<ShardReport>& given) {
    try {
      merge_reports(given);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(message({shards[0]}).find("shard 1/2 missing"), std::string::npos);
  EXPECT_NE(message({shards[0], shards[0]}).find("shard-0.json: shard 0/2 is given twice"), std::string::npos);
  std::vector<ShardReport> foreign = shards;
  foreign[1].report["seed"] = 7;
  EXPECT_NE(message(foreign).find("shard-1.json: 'seed' differs"), std::string::npos) << message(foreign);
  foreign = shards;
  foreign[1].report = nlohmann::json::parse("[1, 2]");
  EXPECT_NE(message(foreign).find("shard-1.json: not a `relpos prove --json` report"), std::string::npos)
      << message(foreign);
  foreign = shards;
  foreign[1].report["coverage"]["columns"] = "many";
  EXPECT_NE(message(foreign).find("shard-1.json: coverage 'columns' is not an object"), std::string::npos)
      << message(foreign);
  EXPECT_NE(message({}).find("at least one report"), std::string::npos);
  foreign = shards;
  for (ShardReport& shard : foreign) shard.report.erase("implementation");
  EXPECT_NE(message(foreign).find("shard-0.json: not a `relpos prove --json` report (no 'implementation')"),
            std::string::npos)
      << message(foreign);
  foreign = shards;
  foreign[0].report["properties"][0] = 7;
  EXPECT_NE(message(foreign).find("shard-0.json: a 'properties' entry is not"), std::string::npos) << message(foreign);
  foreign = shards;
  foreign[1].report["policy"] = 3;
  EXPECT_NE(message(foreign).find("shard-1.json: 'policy' has the wrong type"), std::string::npos) << message(foreign);
}

}  // namespace
}  // namespace relpos::harness
