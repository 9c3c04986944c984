// relpos prove / mutants / check end to end: exit codes, JSON, the PyTorch example candidate.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "relpos/backend.hpp"
#include "relpos/io/fixture.hpp"
#include "relpos/synthetic_weights.hpp"

namespace {

struct CliRun {
  int code = -1;
  std::string output;
};

CliRun relpos_cli(const std::string& arguments) {
  const std::string command = std::string("cd ") + RELPOS_SOURCE_DIR + " && " + RELPOS_BINARY + " " + arguments + " 2>&1";
  CliRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) run.output += buffer.data();
  const int status = pclose(pipe);
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

bool torch_available() { return std::system("/usr/bin/python3 -c 'import torch, h5py' 2>/dev/null") == 0; }

TEST(ProveCommand, ABackendPassesAndPrintsItsSeed) {
  const CliRun run = relpos_cli("prove --backend cpu --cases 5 --property fp32 --property structure");
  EXPECT_EQ(run.code, 0) << run.output;
  EXPECT_NE(run.output.find("seed 0x5eed2e1a7005"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("PASS"), std::string::npos) << run.output;
}

TEST(ProveCommand, BadArgumentsExitWithTwo) {
  EXPECT_EQ(relpos_cli("prove --cases 5").code, 2);
  EXPECT_EQ(relpos_cli("prove --backend cpu --candidate-cmd cat").code, 2);
  EXPECT_EQ(relpos_cli("prove --backend gpu").code, 2);
  EXPECT_EQ(relpos_cli("prove --backend cpu --property speed").code, 2);
  EXPECT_EQ(relpos_cli("prove --backend cpu --seed banana").code, 2);
  if (!relpos::make_backend("cuda")->availability().available) {
    const CliRun run = relpos_cli("prove --backend cuda");
    EXPECT_EQ(run.code, 2);
    EXPECT_NE(run.output.find("cannot run here"), std::string::npos) << run.output;
  }
}

TEST(ProveCommand, TheTorchExampleCandidatePasses) {
  if (!torch_available()) GTEST_SKIP() << "/usr/bin/python3 lacks torch or h5py (python3-torch, python3-h5py)";
  const CliRun run = relpos_cli(
      "prove --candidate-cmd tools/torch_candidate.py --cases 10 --property fp32 --property bf16 --regressions none");
  EXPECT_EQ(run.code, 0) << run.output;
  EXPECT_NE(run.output.find("policy bound:6"), std::string::npos) << run.output;
}

TEST(ProveCommand, TheBrokenTorchCandidateFailsWithAShrunkCounterexample) {
  if (!torch_available()) GTEST_SKIP() << "/usr/bin/python3 lacks torch or h5py (python3-torch, python3-h5py)";
  const CliRun run = relpos_cli(
      "prove --candidate-cmd 'tools/torch_candidate.py --broken' --cases 30 --property fp32 --json --regressions none");
  EXPECT_EQ(run.code, 1) << run.output;
  const auto json = nlohmann::json::parse(run.output.substr(run.output.find('{')));
  EXPECT_FALSE(json["passed"].get<bool>());
  const auto& counterexample = json["properties"][0]["counterexample"];
  EXPECT_LE(counterexample["tokens"].get<int>(), 3) << counterexample.dump(1);
  EXPECT_NE(counterexample["report"].get<std::string>().find("MISMATCH"), std::string::npos);
}

TEST(MutantsCommand, JsonListsKilledMutantsAndTheBoundSurvivor) {
  const CliRun run = relpos_cli("mutants --json --mutant reordered-sum --mutant offsets-j-minus-i --cases 20");
  EXPECT_EQ(run.code, 0) << run.output;
  const auto json = nlohmann::json::parse(run.output);
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
  std::string pattern = (std::filesystem::temp_directory_path() / "relpos-check-XXXXXX").string();
  const std::filesystem::path directory = mkdtemp(pattern.data());
  relpos::Fixture fixture;
  fixture.meta.config = relpos::Config{4, 1, 8};
  fixture.layout = relpos::Layout::from_arrays({0, 0, 1}, {1, 2, 1}, {0, 0, 1}, {0, 0, 0}, {0, 1, 2});
  fixture.weights = relpos::protenix_synthetic_weights(fixture.meta.config, 1);
  fixture.expected = relpos::compute_fp32(*relpos::make_backend("onehot"), fixture.problem());
  relpos::write_fixture(directory / "small.h5", fixture);
  const CliRun run = relpos_cli("check --cases 40 --fixtures " + directory.string());
  std::filesystem::remove_all(directory);
  EXPECT_EQ(run.code, 0) << run.output;
  EXPECT_NE(run.output.find("== properties: 40 cases per property"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("check: PASS (fixtures: pass, properties: pass)"), std::string::npos) << run.output;
  const CliRun few = relpos_cli("check --fixtures /nonexistent-relpos-dir");
  EXPECT_EQ(few.code, 2);
}

}  // namespace
