#pragma once
// Runs the relpos command line from tests: exit code, stdout and stderr apart.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace relpos::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  std::string all() const { return out + err; }
};

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

/// $RELPOS_CLI, else `relpos` beside this test binary (a relocated bundle),
/// else where this build put it (RELPOS_CLI_PATH, set by tests/CMakeLists.txt).
inline std::filesystem::path relpos_cli_path() {
  if (const char* env = std::getenv("RELPOS_CLI"); env != nullptr && *env != '\0') return env;
  std::error_code error;
  const auto beside = std::filesystem::read_symlink("/proc/self/exe", error).parent_path() / "relpos";
  if (!error && std::filesystem::is_regular_file(beside)) return beside;
  return RELPOS_CLI_PATH;
}

/// `relpos ARGS` through the shell (ARGS may quote), from `working_dir` when
/// given; the streams go through files in `scratch`, named apart per process and call.
inline CliResult run_relpos(const std::string& args, const std::filesystem::path& scratch,
                            const std::filesystem::path& working_dir = {}) {
  static int calls = 0;
  const std::string stem = "relpos-cli-" + std::to_string(::getpid()) + "-" + std::to_string(calls++);
  const auto out = scratch / (stem + ".out");
  const auto err = scratch / (stem + ".err");
  std::string command = "'" + relpos_cli_path().string() + "' " + args + " >'" + out.string() + "' 2>'" +
                        err.string() + "' </dev/null";
  if (!working_dir.empty()) command = "cd '" + working_dir.string() + "' && " + command;
  const int status = std::system(command.c_str());
  CliResult result{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
  std::error_code ignored;
  std::filesystem::remove(out, ignored);
  std::filesystem::remove(err, ignored);
  return result;
}

/// A fresh scratch directory per test, removed afterwards.
class CliTest : public ::testing::Test {
 protected:
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("relpos-cli-" + std::to_string(::getpid()) + "-" +
                               ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() + "-" +
                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  void SetUp() override { std::filesystem::create_directories(dir); }
  void TearDown() override { std::filesystem::remove_all(dir); }
  CliResult relpos(const std::string& args) { return run_relpos(args, dir); }
};

}  // namespace relpos::testing
