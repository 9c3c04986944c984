// `relpos bench` and `relpos memory` end to end: tables, JSON, exit codes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "relpos/backend.hpp"
#include "relpos/backends/registry.hpp"
#include "cli_runner.hpp"
#include "relpos/bench/bench_record.hpp"

namespace relpos {
namespace {

namespace fs = std::filesystem;

using testing::CliResult;
using testing::slurp;

class BenchCli : public testing::CliTest {};

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST_F(BenchCli, MemoryPrintsEveryPathWithTheSpecNumbers) {
  const CliResult r = relpos("memory --n 3000");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* part :
       {"pytorch-original", "pxdesign-chunked", "protenix-precomputed", "pytorch-lookup-pr", "onehot", "onehot-blas",
        "cpu", "int64 one-hots 9.9 GB", "fp32 features 5.0 GB", "fp32 output 4.6 GB"})
    EXPECT_NE(r.out.find(part), std::string::npos) << part << "\n" << r.out;
}

TEST_F(BenchCli, MemoryRejectsBadSizesInOneLine) {
  for (const char* args : {"memory --n 0", "memory --n 100 --c-z 0", "memory --n 100 --mode fp64", "memory"}) {
    const CliResult r = relpos(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(lines(r.err), 1u) << args << ": " << r.err;
    EXPECT_EQ(r.err.rfind("relpos: error: ", 0), 0u) << r.err;
  }
}

TEST_F(BenchCli, BenchWritesATableAndAJsonReportAndNeverOverwrites) {
  const fs::path json = dir / "report.json";
  const CliResult r = relpos("bench --backend cpu --n 16 --reps 1 --threads 1 --json " + json.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("median ms (min-max)"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("bench: N=16 cpu fp32 threads=1: timing"), std::string::npos) << r.err;
  const bench::BenchReport report = bench::parse_bench_json(slurp(json));
  ASSERT_EQ(report.records.size(), 3u);
  EXPECT_EQ(report.records[0].backend, "cpu");
  EXPECT_EQ(report.records[0].n, 16);

  const std::string before = slurp(json);
  const CliResult again = relpos("bench --backend cpu --n 16 --reps 1 --threads 1 --json " + json.string());
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  EXPECT_EQ(slurp(json), before);
}

TEST_F(BenchCli, BenchRejectsBadArgumentsInOneLine) {
  for (const char* args : {"bench --n 5000", "bench --n 0", "bench --modes fp64", "bench --backend gpu",
                           "bench --threads 0 --n 8", "bench --reps 0 --n 8"}) {
    const CliResult r = relpos(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(lines(r.err), 1u) << args << ": " << r.err;
  }
}

TEST_F(BenchCli, CudaSaysClearlyWhenItIsNotAvailable) {
  if (make_backend("cuda")->availability().available) GTEST_SKIP() << "a CUDA device is present: the bench would run";
  const CliResult r = relpos("bench --backend cuda --n 64");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("cuda: not available here"), std::string::npos) << r.err;
  // Next to an available backend, cuda becomes a note and the rest still runs.
  const CliResult mixed = relpos("bench --backend cuda,cpu --n 8 --reps 1 --threads 1 --modes fp32");
  EXPECT_EQ(mixed.exit_code, 0) << mixed.err;
  EXPECT_NE(mixed.out.find("note: cuda: not available here"), std::string::npos) << mixed.out;
}

}  // namespace
}  // namespace relpos
