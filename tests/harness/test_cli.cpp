// relpos prove / mutants / check end to end: exit codes, JSON, the PyTorch example candidate.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "relpos/backend.hpp"
#include "relpos/backends/registry.hpp"
#include "relpos/io/fixture.hpp"
#include "relpos/io/temporary_directory.hpp"
#include "relpos/synthetic_weights.hpp"

namespace {

// From the source tree, so candidate commands like tools/torch_candidate.py resolve.
relpos::testing::CliResult relpos_cli(const std::string& arguments) {
  return relpos::testing::run_relpos(arguments, std::filesystem::temp_directory_path(), RELPOS_SOURCE_DIR);
}

bool torch_available() { return std::system("/usr/bin/python3 -c 'import torch, h5py' 2>/dev/null") == 0; }

TEST(ProveCommand, ABackendPassesAndPrintsItsSeed) {
  const auto run = relpos_cli("prove --backend cpu --cases 5 --property fp32 --property structure");
  EXPECT_EQ(run.exit_code, 0) << run.all();
  EXPECT_NE(run.all().find("seed 0x5eed2e1a7005"), std::string::npos) << run.all();
  EXPECT_NE(run.all().find("PASS"), std::string::npos) << run.all();
}

TEST(ProveCommand, BadArgumentsExitWithTwo) {
  EXPECT_EQ(relpos_cli("prove --cases 5").exit_code, 2);
  EXPECT_EQ(relpos_cli("prove --backend cpu --candidate-cmd cat").exit_code, 2);
  EXPECT_EQ(relpos_cli("prove --backend gpu").exit_code, 2);
  EXPECT_EQ(relpos_cli("prove --backend cpu --property speed").exit_code, 2);
  EXPECT_EQ(relpos_cli("prove --backend cpu --seed banana").exit_code, 2);
  if (!relpos::make_backend("cuda")->availability().available) {
    const auto run = relpos_cli("prove --backend cuda");
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.all().find("cannot run here"), std::string::npos) << run.all();
  }
}

TEST(ProveCommand, AModelPresetScopesTheRun) {
  const auto run = relpos_cli("prove --backend cpu --model boltz2 --cases 5 --regressions none");
  EXPECT_EQ(run.exit_code, 0) << run.all();
  EXPECT_NE(run.all().find("scope model boltz2: variant af3, cyclic boltz, precision bf16-autocast, r_max 32, "
                           "s_max 2, c_z 128"),
            std::string::npos)
      << run.all();
  EXPECT_NE(run.all().find("(precision fp32 is outside the scope)"), std::string::npos) << run.all();
  const auto overridden = relpos_cli("prove --backend cpu --model boltz2 --precision fp32,bf16 --variant paper "
                                     "--cases 5 --regressions none --property fp32 --property bf16");
  EXPECT_EQ(overridden.exit_code, 0) << overridden.all();
  EXPECT_NE(overridden.all().find("variant paper, cyclic boltz, precision fp32|bf16"), std::string::npos)
      << overridden.all();
}

TEST(ProveCommand, ShardsRunDisjointSlicesThatMergeIntoOneVerdict) {
  const relpos::io::TemporaryDirectory scratch("relpos-shards");
  std::string files;
  for (const char* shard : {"0/2", "1/2"}) {
    const auto run = relpos_cli(std::string("prove --backend cpu --cases 10 --property fp32 --property scale --json --shard ") + shard);
    ASSERT_EQ(run.exit_code, 0) << run.all();
    const auto file = scratch.path() / (std::string("shard-") + shard[0] + ".json");
    std::ofstream(file) << run.out;
    files += " " + file.string();
  }
  const auto merged = relpos_cli("report merge" + files);
  EXPECT_EQ(merged.exit_code, 0) << merged.all();
  EXPECT_NE(merged.out.find("PASS: "), std::string::npos) << merged.all();
  const auto json = relpos_cli("report merge --json" + files);
  EXPECT_EQ(nlohmann::json::parse(json.out)["shard"]["merged"], nlohmann::json::parse("[0, 1]")) << json.all();
  const auto partial = relpos_cli("report merge " + (scratch.path() / "shard-0.json").string());
  EXPECT_EQ(partial.exit_code, 2) << partial.all();
  EXPECT_NE(partial.err.find("shard 1/2 missing"), std::string::npos) << partial.all();
  const auto unreadable = relpos_cli("report merge /nonexistent-relpos.json");
  EXPECT_EQ(unreadable.exit_code, 2) << unreadable.all();
  EXPECT_NE(unreadable.err.find("/nonexistent-relpos.json: cannot open"), std::string::npos) << unreadable.all();
}

TEST(ProveCommand, InvalidShardsExitWithTwo) {
  for (const char* shard : {"2/2", "0/0", "x", "1"}) {
    const auto run = relpos_cli(std::string("prove --backend cpu --cases 2 --shard ") + shard);
    EXPECT_EQ(run.exit_code, 2) << shard << "\n" << run.all();
    EXPECT_NE(run.err.find("is not a valid shard"), std::string::npos) << run.all();
  }
}

TEST(ProveCommand, ProgressGoesToStderrOnlyWhenAsked) {
  // Not a terminal here: quiet unless --progress (and quiet for the first seconds anyway).
  const auto quiet = relpos_cli("prove --backend onehot --cases 100 --property scale --regressions none");
  EXPECT_EQ(quiet.exit_code, 0) << quiet.all();
  EXPECT_EQ(quiet.err.find("elapsed"), std::string::npos) << quiet.err;
  const auto loud = relpos_cli("prove --backend onehot --cases 4 --property fp32 --property scale --regressions none --progress");
  EXPECT_EQ(loud.exit_code, 0) << loud.all();
  EXPECT_NE(loud.err.find("relpos: onehot fp32: 4/4 cases"), std::string::npos) << loud.err;
  EXPECT_NE(loud.err.find("relpos: onehot scale: 10/10 cases"), std::string::npos) << loud.err;
  EXPECT_NE(loud.err.find(" s elapsed"), std::string::npos) << loud.err;
  EXPECT_EQ(loud.out.find("elapsed"), std::string::npos) << loud.out;
}

TEST(ProveCommand, BadScopesExitWithTwoAndOneLine) {
  for (const auto& [arguments, message] :
       std::vector<std::pair<std::string, std::string>>{
           {"--model nope", "unknown model preset 'nope'"},
           {"--precision fp16", "unknown precision 'fp16' (expected fp32, bf16, bf16-autocast)"},
           {"--cyclic rf3", "unknown cyclic form 'rf3'"},
           {"--variant boltz", "unknown variant 'boltz'"},
           {"--c-z 0", "c_z = 0 is out of range"}}) {
    const auto run = relpos_cli("prove --backend cpu --cases 2 " + arguments);
    EXPECT_EQ(run.exit_code, 2) << arguments << "\n" << run.all();
    EXPECT_NE(run.err.find(message), std::string::npos) << arguments << "\n" << run.all();
  }
}

TEST(ProveCommand, TheTorchExampleCandidatePasses) {
  if (!torch_available()) GTEST_SKIP() << "/usr/bin/python3 lacks torch or h5py (python3-torch, python3-h5py)";
  const auto run = relpos_cli(
      "prove --candidate-cmd tools/torch_candidate.py --cases 10 --property fp32 --property bf16 --regressions none");
  EXPECT_EQ(run.exit_code, 0) << run.all();
  EXPECT_NE(run.all().find("policy bound:6"), std::string::npos) << run.all();
}

TEST(ProveCommand, TheBrokenTorchCandidateFailsWithAShrunkCounterexample) {
  if (!torch_available()) GTEST_SKIP() << "/usr/bin/python3 lacks torch or h5py (python3-torch, python3-h5py)";
  const auto run = relpos_cli(
      "prove --candidate-cmd 'tools/torch_candidate.py --broken' --cases 30 --property fp32 --json --regressions none");
  EXPECT_EQ(run.exit_code, 1) << run.all();
  const auto json = nlohmann::json::parse(run.out.substr(run.out.find('{')));
  EXPECT_FALSE(json["passed"].get<bool>());
  const auto& counterexample = json["properties"][0]["counterexample"];
  EXPECT_LE(counterexample["tokens"].get<int>(), 3) << counterexample.dump(1);
  EXPECT_NE(counterexample["report"].get<std::string>().find("MISMATCH"), std::string::npos);
}

TEST(MutantsCommand, JsonListsKilledMutantsAndTheBoundSurvivor) {
  const auto run = relpos_cli("mutants --json --mutant reordered-sum --mutant offsets-j-minus-i --cases 20");
  EXPECT_EQ(run.exit_code, 0) << run.all();
  const auto json = nlohmann::json::parse(run.out);
  ASSERT_EQ(json["mutants"].size(), 2u);
  for (const auto& m : json["mutants"]) {
    EXPECT_TRUE(m["killed"].get<bool>()) << m.dump();
    EXPECT_GE(m["cases_until_killed"].get<int>(), 1);
    EXPECT_LE(m["shrunk_tokens"].get<int>(), 3);
    if (m["mutant"] == "reordered-sum") EXPECT_TRUE(m["bound_6"]["passed"].get<bool>()) << m.dump();
  }
  EXPECT_TRUE(json["passed"].get<bool>());
}

TEST(CheckCommand, SummarisesFixturesAndProperties) {
  const relpos::io::TemporaryDirectory scratch("relpos-check");
  const std::filesystem::path& directory = scratch.path();
  relpos::Fixture fixture;
  fixture.meta.config = relpos::Config{4, 1, 8};
  fixture.layout = relpos::Layout::from_arrays({0, 0, 1}, {1, 2, 1}, {0, 0, 1}, {0, 0, 0}, {0, 1, 2});
  fixture.weights = relpos::protenix_synthetic_weights(fixture.meta.config, 1);
  fixture.expected = relpos::compute_fp32(*relpos::make_backend("onehot"), fixture.problem());
  relpos::write_fixture(directory / "small.h5", fixture);
  const auto run = relpos_cli("check --cases 40 --fixtures " + directory.string());
  EXPECT_EQ(run.exit_code, 0) << run.all();
  EXPECT_NE(run.all().find("== properties: 40 cases per property"), std::string::npos) << run.all();
  EXPECT_NE(run.all().find("check: PASS (fixtures: pass, properties: pass)"), std::string::npos) << run.all();
  const auto few = relpos_cli("check --fixtures /nonexistent-relpos-dir");
  EXPECT_EQ(few.exit_code, 2);
}

TEST(VerifyCommand, FixturesOutsideTheScopeAreSkippedAndNamed) {
  const auto run = relpos_cli(std::string("verify --backend cpu --model boltz2 ") + RELPOS_SOURCE_DIR +
                              "/fixtures/monomer.h5 " + RELPOS_SOURCE_DIR + "/fixtures/boltz2_cyclic_peptides_autocast.h5");
  EXPECT_EQ(run.exit_code, 0) << run.all();
  EXPECT_NE(run.all().find("1 fixture(s), 1 comparison(s)"), std::string::npos) << run.all();
  EXPECT_NE(run.all().find("skipped fixture outside the scope"), std::string::npos) << run.all();
  EXPECT_NE(run.all().find("monomer.h5"), std::string::npos) << run.all();
}

TEST(MutantsCommand, MutantsOutsideTheScopeAreNotApplicableNotSurvivors) {
  const auto run = relpos_cli("mutants --cases 100 --model af3 --mutant cyclic-no-fallback --mutant offsets-j-minus-i");
  EXPECT_EQ(run.exit_code, 0) << run.all();
  EXPECT_NE(run.all().find("n/a: 1 mutant(s) differ only outside the scope"), std::string::npos) << run.all();
  EXPECT_NE(run.all().find("PASS (every mutant in scope killed)"), std::string::npos) << run.all();
}

TEST(CheckCommand, AScopeThatExcludesEveryFixtureIsAnErrorNotAPass) {
  const relpos::io::TemporaryDirectory scratch("relpos-check-scope");
  std::filesystem::copy_file(std::string(RELPOS_SOURCE_DIR) + "/fixtures/monomer.h5", scratch.path() / "monomer.h5");
  const auto run = relpos_cli("check --cases 10 --model boltz2 --fixtures " + scratch.path().string());
  EXPECT_EQ(run.exit_code, 2) << run.all();
  EXPECT_NE(run.all().find("none of the 1 fixture(s) is within the scope"), std::string::npos) << run.all();
}

TEST(VerifyCommand, AListFlagTakesOneValuePerOccurrenceAndLeavesTheFilesPositional) {
  const auto run = relpos_cli(std::string("verify --backend cpu --cyclic boltz --precision bf16-autocast ") +
                              RELPOS_SOURCE_DIR + "/fixtures/boltz2_cyclic_peptides_autocast.h5");
  EXPECT_EQ(run.exit_code, 0) << run.all();
  EXPECT_NE(run.all().find("1 fixture(s), 1 comparison(s)"), std::string::npos) << run.all();
}

TEST(VerifyCommand, NothingWithinTheScopeIsAnErrorNotAPass) {
  const auto run = relpos_cli(std::string("verify --backend cpu --model boltz2 ") + RELPOS_SOURCE_DIR +
                              "/fixtures/monomer.h5");
  EXPECT_EQ(run.exit_code, 2) << run.all();
  EXPECT_NE(run.all().find("none of the 1 fixture(s) is within the scope"), std::string::npos) << run.all();
}

}  // namespace
