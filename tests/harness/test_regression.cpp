// Saved counterexamples: exact JSON round trips, recording only when asked
// (never on CI), and every committed case replayed on every backend.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <optional>

#include "relpos/backends/registry.hpp"
#include "relpos/errors.hpp"
#include "relpos/harness/case_json.hpp"
#include "relpos/harness/mutants.hpp"
#include "relpos/harness/regression.hpp"
#include "test_temp_dir.hpp"

namespace relpos::harness {
namespace {

const std::filesystem::path kCommitted = std::filesystem::path(RELPOS_SOURCE_DIR) / "tests" / "regressions";

using ScopedEnvironment = relpos::testing::ScopedEnv;

using TemporaryDirectory = relpos::testing::TempDir;

Case extreme_case() {
  Case c;
  c.config = Config{1, 0, 2, Variant::paper};
  const std::int64_t lo = std::numeric_limits<std::int64_t>::min(), hi = std::numeric_limits<std::int64_t>::max();
  const Layout a = Layout::from_arrays({lo, hi}, {hi - 1, hi}, {0, 0}, {-5, 7}, {lo, lo + 1});
  const Layout b = Layout::from_arrays({1, 1}, {1, 2}, {0, 0}, {0, 0}, {0, 1});
  const std::vector<Layout> both = {a, b};
  c.layout = Layout::stack(both);
  c.weights = Weights(std::array<std::size_t, 2>{2, 11}, 0.0f);
  c.weights(0, 0) = -0.0f;
  c.weights(0, 1) = 0x1p-100f;
  c.weights(1, 2) = 3.4e38f;
  c.weights(1, 3) = 0.1f;
  c.transform.permutation = {1, 0};
  c.transform.residue_shift = -5;
  c.transform.asym_relabelling = {{lo, 0}, {hi, 2}, {1, 1}};
  c.transform.entity_relabelling = {{0, 9}};
  c.transform.chunk_rows = 3;
  c.transform.threads = 4;
  c.transform.accumulator_seed = std::numeric_limits<std::uint64_t>::max();
  return c;
}

TEST(CaseJson, RoundTripsEveryValueExactly) {
  const Case c = extreme_case();
  const Case back = case_from_json(nlohmann::json::parse(case_to_json(c).dump()), "test");
  EXPECT_EQ(back, c);
  EXPECT_TRUE(std::signbit(back.weights(0, 0)));  // -0.0 survives
  EXPECT_EQ(back.weights(1, 3), 0.1f);
}

TEST(CaseJson, MalformedCasesNameWhereAndWhat) {
  nlohmann::json json = case_to_json(extreme_case());
  json.erase("weights");
  try {
    case_from_json(json, "x.json");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "x.json: missing field 'weights'");
  }
  json = case_to_json(extreme_case());
  json["transform"]["permutation"] = {0, 0};
  EXPECT_THROW(case_from_json(json, "x.json"), InputError);
}

TEST(Regression, SaveAndLoadKeepTheCaseAndTheStory) {
  TemporaryDirectory directory;
  RegressionCase regression{{}, Property::permutation, "mutant:some bug", "", "it broke", extreme_case()};
  const auto path = save_regression(directory.path(), regression);
  EXPECT_EQ(path.parent_path(), directory.path());
  EXPECT_EQ(path.filename().string().rfind("permutation-mutant-some-bug-", 0), 0u) << path;
  EXPECT_EQ(save_regression(directory.path(), regression), path);  // the same case is saved once
  const auto loaded = load_regressions(directory.path());
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].value, regression.value);
  EXPECT_EQ(loaded[0].property, Property::permutation);
  EXPECT_EQ(loaded[0].found_by, "mutant:some bug");
  EXPECT_EQ(loaded[0].report, "it broke");
  EXPECT_EQ(loaded[0].recorded_with.rfind("relpos ", 0), 0u);
}

TEST(Regression, BadFilesAreInputErrors) {
  TemporaryDirectory directory;
  std::ofstream(directory.path() / "bad.json") << "{\"format\": \"something else\"}";
  EXPECT_THROW(load_regressions(directory.path()), InputError);
  std::ofstream(directory.path() / "bad.json") << "not json";
  EXPECT_THROW(load_regression(directory.path() / "bad.json"), InputError);
  EXPECT_TRUE(load_regressions(directory.path() / "absent").empty());
}

TEST(Regression, FieldsOfTheWrongTypeNameTheFile) {
  TemporaryDirectory directory;
  const auto file = directory.path() / "typed.json";
  for (const char* body : {R"({"format": 7})", R"({"format": "relpos-regression", "version": "1"})"}) {
    std::ofstream(file) << body;
    try {
      load_regression(file);
      ADD_FAILURE() << "no error for " << body;
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(file.string() + ": ", 0), 0u) << e.what();
    }
  }
}

TEST(Regression, RecordingNeedsTheSwitchAndNeverHappensOnCi) {
  {
    ScopedEnvironment record("RELPOS_RECORD_REGRESSIONS", "1");
    ScopedEnvironment ci("CI", nullptr);
    EXPECT_TRUE(recording_enabled());
  }
  {
    ScopedEnvironment record("RELPOS_RECORD_REGRESSIONS", "1");
    ScopedEnvironment ci("CI", "true");
    EXPECT_FALSE(recording_enabled());
  }
  ScopedEnvironment record("RELPOS_RECORD_REGRESSIONS", nullptr);
  EXPECT_FALSE(recording_enabled());
}

TEST(Regression, ProveSavesTheMinimalCounterexampleWhenRecording) {
  TemporaryDirectory directory;
  ProveOptions options;
  options.properties = {Property::fp32};
  options.record_directory = directory.path();
  const Implementation mutant = mutants().front().implementation;
  {
    ScopedEnvironment record("RELPOS_RECORD_REGRESSIONS", "1");
    ScopedEnvironment ci("CI", "1");
    prove(mutant, options);
    EXPECT_TRUE(load_regressions(directory.path()).empty()) << "recorded on CI";
  }
  ScopedEnvironment record("RELPOS_RECORD_REGRESSIONS", "1");
  ScopedEnvironment ci("CI", nullptr);
  const Report report = prove(mutant, options);
  ASSERT_TRUE(report.first_failure() && report.first_failure()->counterexample);
  const auto saved = load_regressions(directory.path());
  ASSERT_EQ(saved.size(), 1u);
  EXPECT_EQ(saved[0].value, report.first_failure()->counterexample->value);
  EXPECT_EQ(report.first_failure()->counterexample->recorded, saved[0].file);
}

// ---- the committed cases ----

std::vector<std::filesystem::path> committed_files() {
  std::vector<std::filesystem::path> files;
  for (const auto& regression : load_regressions(kCommitted)) files.push_back(regression.file);
  return files;
}

TEST(CommittedRegressions, ThereIsAtLeastOneAndEachStillKillsItsMutant) {
  const auto saved = load_regressions(kCommitted);
  ASSERT_FALSE(saved.empty()) << "no committed cases under " << kCommitted;
  for (const RegressionCase& regression : saved) {
    if (regression.found_by.rfind("mutant:", 0) != 0) continue;
    for (const Mutant& m : mutants())
      if (m.implementation.name == regression.found_by) {
        const Verdict v = check(regression.property, regression.value, m.implementation, Policy::bitwise());
        EXPECT_FALSE(v.passed) << regression.file << " no longer catches " << m.name;
      }
  }
}

struct ReplayParam {
  std::filesystem::path file;
  std::string backend;
};

void PrintTo(const ReplayParam& p, std::ostream* os) { *os << p.file.filename().string() << "/" << p.backend; }

class Replay : public ::testing::TestWithParam<ReplayParam> {};

TEST_P(Replay, EverySavedCasePassesEveryPropertyOnEveryBackend) {
  const RegressionCase regression = load_regression(GetParam().file);
  const Implementation impl = backend_implementation(GetParam().backend);
  if (!impl.unavailable.empty()) GTEST_SKIP() << impl.unavailable;
  for (Property property : all_properties()) {
    if (!not_applicable(property, impl).empty()) continue;
    const Verdict v = check(property, regression.value, impl, policy_for(impl));
    EXPECT_TRUE(v.passed) << to_string(property) << "\n" << v.report;
  }
}

std::vector<ReplayParam> replay_params() {
  std::vector<ReplayParam> params;
  for (const auto& file : committed_files())
    for (std::string_view backend : backend_names()) params.push_back({file, std::string(backend)});
  return params;
}

INSTANTIATE_TEST_SUITE_P(Saved, Replay, ::testing::ValuesIn(replay_params()),
                         [](const ::testing::TestParamInfo<ReplayParam>& info) {
                           std::string name = info.param.file.stem().string() + "_" + info.param.backend;
                           for (char& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Replay);

}  // namespace
}  // namespace relpos::harness
