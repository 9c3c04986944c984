// External candidates over the line protocol: misbehaviour is reported
// clearly, shrunk like any mismatch, and never hangs the harness.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>

#include "relpos/harness/candidate.hpp"
#include "relpos/harness/candidate_process.hpp"
#include "relpos/harness/prove.hpp"
#include "relpos/io/temporary_directory.hpp"

namespace relpos::harness {
namespace {

class Scripts : public ::testing::Test {
 protected:
  void SetUp() override { directory_ = io::make_temporary_directory("relpos-candidates"); }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::string script(const std::string& name, const std::string& body) {
    const auto path = directory_ / name;
    std::ofstream(path) << body;
    chmod(path.c_str(), 0755);
    return path.string();
  }

  static Report prove_fp32(const std::string& command, double timeout = 60, int cases = 5, bool shrink = true) {
    CandidateOptions candidate;
    candidate.command = command;
    candidate.timeout_seconds = timeout;
    ProveOptions options;
    options.properties = {Property::fp32};
    options.cases = cases;
    options.shrink = shrink;
    return prove(candidate_implementation(candidate), options);
  }

  static std::string failure_report(const Report& report) {
    const PropertyResult* failure = report.first_failure();
    if (failure == nullptr || !failure->counterexample) return "(no counterexample)";
    return failure->counterexample->report;
  }

  std::filesystem::path directory_;
};

TEST_F(Scripts, AnErrorAnswerFailsTheCaseAndShrinks) {
  const Report report = prove_fp32(script("refuses.sh", "#!/bin/sh\nwhile read a b; do echo 'error: not implemented'; done\n"));
  EXPECT_FALSE(report.passed());
  EXPECT_NE(failure_report(report).find("the candidate answered 'error: not implemented'"), std::string::npos)
      << failure_report(report);
  EXPECT_EQ(report.first_failure()->counterexample->value.total_tokens(), 1);
}

TEST_F(Scripts, AMalformedAnswerIsNamed) {
  const Report report =
      prove_fp32(script("chatty.sh", "#!/bin/sh\nwhile read a b; do echo 'loading model...'; done\n"), 60, 5, false);
  EXPECT_NE(failure_report(report).find("malformed answer 'loading model...'"), std::string::npos)
      << failure_report(report);
}

TEST_F(Scripts, OkWithoutAnOutputFileIsReported) {
  const Report report = prove_fp32(script("lazy.sh", "#!/bin/sh\nwhile read a b; do echo ok; done\n"), 60, 5, false);
  EXPECT_NE(failure_report(report).find("the candidate answered ok but its output is unusable"), std::string::npos)
      << failure_report(report);
}

TEST_F(Scripts, ACandidateThatNeverStartsStopsTheRunWithItsStderr) {
  const std::string command = script("broken.sh", "#!/bin/sh\necho 'ModuleNotFoundError: No module named torch' >&2\nexit 3\n");
  try {
    prove_fp32(command);
    FAIL() << "no FatalError";
  } catch (const FatalError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("exited with status 3"), std::string::npos) << message;
    EXPECT_NE(message.find("No module named torch"), std::string::npos) << message;
    EXPECT_NE(message.find("without ever answering"), std::string::npos) << message;
  }
}

TEST_F(Scripts, AHangingCandidateIsKilledAfterTheTimeout) {
  const auto start = std::chrono::steady_clock::now();
  try {
    prove_fp32(script("hangs.sh", "#!/bin/sh\nwhile read a b; do sleep 600; done\n"), 0.3);
    FAIL() << "no FatalError";
  } catch (const FatalError& e) {
    EXPECT_NE(std::string(e.what()).find("did not answer within 0.3 s (killed)"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST_F(Scripts, ACrashOnSomeInputsIsAFindingNotAFatalError) {
  // Right for one token, dies mid-protocol for more. Not shrunk here: every
  // shrink step would restart Python (see AnErrorAnswerFailsTheCaseAndShrinks for shrinking).
  if (std::system("/usr/bin/python3 -c 'import h5py, numpy' 2>/dev/null") != 0)
    GTEST_SKIP() << "/usr/bin/python3 lacks h5py or numpy (python3-h5py, python3-numpy)";
  const std::string command = script("fragile.py", R"py(#!/usr/bin/python3
import sys, h5py, numpy
for line in sys.stdin:
    a, b = line.split()
    with h5py.File(a, "r") as f:
        ids = f["inputs/asym_id"][()]
        w = f["weights/linear_no_bias"][()]
        r, s = int(f.attrs["r_max"]), int(f.attrs["s_max"])
        variant = f.attrs["variant"]
    if ids.shape[-1] > 1:
        sys.exit("segmentation fault (simulated)")
    chain = 2 * s + 1 if variant in ("paper", b"paper") else s
    p = ((w[:, r] + w[:, 3 * r + 2]) + w[:, 4 * r + 4]) + w[:, 4 * r + 5 + chain]
    with h5py.File(b, "w") as g:
        g["expected/output"] = numpy.broadcast_to(p, ids.shape + (1, w.shape[0])).astype(numpy.float32)
    print("ok", flush=True)
)py");
  const Report report = prove_fp32(command, 60, 20, false);
  EXPECT_FALSE(report.passed());
  const std::string text = failure_report(report);
  EXPECT_NE(text.find("exited with status 1 without answering"), std::string::npos) << text;
  EXPECT_NE(text.find("segmentation fault (simulated)"), std::string::npos) << text;
  EXPECT_GE(report.first_failure()->counterexample->value.total_tokens(), 2) << text;
}

TEST_F(Scripts, AWrongShapeIsReportedWithBothShapes) {
  if (std::system("/usr/bin/python3 -c 'import h5py, numpy' 2>/dev/null") != 0)
    GTEST_SKIP() << "/usr/bin/python3 lacks h5py or numpy (python3-h5py, python3-numpy)";
  const std::string command = script("shape.py", R"py(#!/usr/bin/python3
import sys, h5py, numpy
for line in sys.stdin:
    a, b = line.split()
    with h5py.File(b, "w") as g:
        g["expected/output"] = numpy.zeros((2, 3, 4, 5), numpy.float32)
    print("ok", flush=True)
)py");
  const Report report = prove_fp32(command, 60, 5, false);
  const std::string text = failure_report(report);
  EXPECT_NE(text.find("shape [2, 3, 4, 5] but the inputs and c_z need"), std::string::npos) << text;
}

TEST_F(Scripts, Int32ModeWritesInt32Ids) {
  if (std::system("/usr/bin/python3 -c 'import h5py, numpy' 2>/dev/null") != 0)
    GTEST_SKIP() << "/usr/bin/python3 lacks h5py or numpy (python3-h5py, python3-numpy)";
  // Answers 'error:' (a failure) for any id dataset that is not int32.
  const std::string command = script("int32.py", R"py(#!/usr/bin/python3
import sys, h5py
for line in sys.stdin:
    a, b = line.split()
    with h5py.File(a, "r") as f:
        kinds = {str(f["inputs/" + k].dtype) for k in ("asym_id", "residue_index", "entity_id", "sym_id", "token_index")}
    print("error: not implemented" if kinds == {"int32"} else "error: ids are " + ",".join(sorted(kinds)), flush=True)
)py");
  CandidateOptions candidate;
  candidate.command = command;
  candidate.int32_ids = true;
  ProveOptions options;
  options.properties = {Property::fp32};
  options.cases = 3;
  options.shrink = false;
  options.limits.int32_ids = true;
  const Report report = prove(candidate_implementation(candidate), options);
  EXPECT_NE(failure_report(report).find("'error: not implemented'"), std::string::npos) << failure_report(report);
}

TEST(CandidateProcess, ReadsAnswersLineByLineAndReapsTheChild) {
  const std::string log = (std::filesystem::temp_directory_path() / "relpos-candidate-process-test.log").string();
  {
    CandidateProcess process("while read a; do echo \"got $a\"; done", log);
    EXPECT_EQ(process.request("one", 5), "got one");
    EXPECT_EQ(process.request("two", 5), "got two");
    EXPECT_EQ(process.answers(), 2);
    EXPECT_TRUE(process.alive());
  }
  CandidateProcess quits("read a; exit 7", log);
  EXPECT_THROW(quits.request("x", 5), CandidateError);
  EXPECT_FALSE(quits.alive());
  EXPECT_EQ(quits.exit_description(), "exited with status 7");
  std::filesystem::remove(log);
}

}  // namespace
}  // namespace relpos::harness
