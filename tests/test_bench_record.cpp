// The relpos-bench/1 JSON schema: every documented key, round trip, errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "relpos/bench/bench_record.hpp"
#include "relpos/bench/bench_runner.hpp"
#include "relpos/errors.hpp"

namespace relpos::bench {
namespace {

BenchRecord sample_record(const std::string& backend, int threads, double median_ms) {
  BenchRecord r;
  r.backend = backend;
  r.mode = "fp32";
  r.n = 512;
  r.c_z = 128;
  r.threads = threads;
  r.device = "host, 2 threads of 2 cores";
  r.reps = 7;
  r.median_ms = median_ms;
  r.min_ms = median_ms * 0.9;
  r.max_ms = median_ms * 1.2;
  r.bytes_moved = 134217728;
  r.gbps = 134217728 / (median_ms * 1e-3) / 1e9;
  r.limit_kind = "memset";
  r.limit_ms = 5.0;
  r.limit_min_ms = 4.5;
  r.limit_max_ms = 6.0;
  r.limit_ratio = median_ms / 5.0;
  r.first_touch_ms = 31.5;
  r.output_bytes = 134217728;
  r.model_extra_bytes = 273920;
  return r;
}

BenchReport sample_report() {
  BenchReport report;
  report.relpos_version = "0.1.0";
  report.date = "2026-11-28T12:00:00Z";
  report.cpu = "AMD EPYC";
  report.cores = 2;
  report.simd = "avx512bw";
  report.load_before = {1.5, 2.0, 2.5};
  report.load_after = {1.0, 1.5, 2.0};
  report.r_max = 32;
  report.s_max = 2;
  report.layout = "bench_layout(N)";
  report.records = {sample_record("onehot-blas", 2, 800), sample_record("cpu", 2, 6)};
  report.records[1].peak_extra_bytes = 270336;
  report.records[1].store_loop_ms = 5.5;
  report.records[1].store_loop_ratio = 6.0 / 5.5;
  report.records[1].notes = {"a note"};
  report.memory_model = {ModelPoint{"pytorch-original", "fp32", 512, 128, 740294656, 606076928}};
  report.notes = {"onehot-blas run only for N <= 2048"};
  fill_speedups(report.records);
  return report;
}

TEST(BenchJson, RecordsCarryEveryDocumentedKey) {
  const auto json = nlohmann::json::parse(to_json_text(sample_report()));
  EXPECT_EQ(json.at("schema"), "relpos-bench/1");
  for (const char* key : {"relpos_version", "date", "machine", "problem", "records", "memory_model", "notes"})
    EXPECT_TRUE(json.contains(key)) << key;
  for (const char* key : {"cpu", "cores", "simd", "load_before", "load_after"})
    EXPECT_TRUE(json.at("machine").contains(key)) << key;
  ASSERT_EQ(json.at("records").size(), 2u);
  for (const auto& record : json.at("records"))
    for (const char* key : {"backend",
                            "mode",
                            "n",
                            "c_z",
                            "threads",
                            "device",
                            "reps",
                            "median_ms",
                            "min_ms",
                            "max_ms",
                            "bytes_moved",
                            "gbps",
                            "limit_kind",
                            "limit_ms",
                            "limit_min_ms",
                            "limit_max_ms",
                            "limit_ratio",
                            "speedup_vs_onehot_blas",
                            "speedup_vs_onehot",
                            "first_touch_ms",
                            "output_bytes",
                            "peak_extra_bytes",
                            "model_extra_bytes",
                            "notes"})
      EXPECT_TRUE(record.contains(key)) << key;
  const auto& cpu = json.at("records")[1];
  EXPECT_DOUBLE_EQ(cpu.at("speedup_vs_onehot_blas").get<double>(), 800.0 / 6.0);
  EXPECT_TRUE(cpu.at("speedup_vs_onehot").is_null());  // no onehot record in this report
  EXPECT_TRUE(json.at("records")[0].at("peak_extra_bytes").is_null());
  EXPECT_EQ(cpu.at("peak_extra_bytes"), 270336);
  EXPECT_DOUBLE_EQ(cpu.at("store_loop_ms").get<double>(), 5.5);
  EXPECT_TRUE(json.at("records")[0].at("store_loop_ratio").is_null());
}

TEST(BenchJson, RoundTripsExactly) {
  const BenchReport report = sample_report();
  EXPECT_EQ(parse_bench_json(to_json_text(report)), report);
}

TEST(BenchJson, NamesTheMissingKeyAndTheRecord) {
  auto json = nlohmann::json::parse(to_json_text(sample_report()));
  json["records"][1].erase("limit_ratio");
  try {
    parse_bench_json(json.dump());
    FAIL() << "no exception";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "bench JSON: record 1 has no 'limit_ratio'");
  }
  json = nlohmann::json::parse(to_json_text(sample_report()));
  json["records"][0]["n"] = "many";
  EXPECT_THROW(parse_bench_json(json.dump()), InputError);
  json = nlohmann::json::parse(to_json_text(sample_report()));
  json["schema"] = "relpos-bench/0";
  EXPECT_THROW(parse_bench_json(json.dump()), InputError);
  EXPECT_THROW(parse_bench_json("{not json"), InputError);
  EXPECT_THROW(parse_bench_json("[]"), InputError);
}

TEST(BenchJson, SpeedupsMatchOnModeSizeAndThreads) {
  std::vector<BenchRecord> records = {sample_record("onehot-blas", 1, 1000), sample_record("onehot-blas", 2, 600),
                                      sample_record("onehot", 1, 4000), sample_record("cpu", 1, 10),
                                      sample_record("cpu", 2, 5)};
  records.push_back(sample_record("cpu", 2, 5));
  records.back().n = 1024;  // no blas or onehot at this N
  fill_speedups(records);
  EXPECT_DOUBLE_EQ(*records[3].speedup_vs_onehot_blas, 100.0);
  EXPECT_DOUBLE_EQ(*records[4].speedup_vs_onehot_blas, 120.0);
  EXPECT_DOUBLE_EQ(*records[3].speedup_vs_onehot, 400.0);
  EXPECT_DOUBLE_EQ(*records[4].speedup_vs_onehot, 800.0);  // the reference is single-threaded
  EXPECT_FALSE(records[5].speedup_vs_onehot_blas.has_value());
  EXPECT_FALSE(records[5].speedup_vs_onehot.has_value());
}

TEST(BenchJson, MedianOfOddAndEvenSamples) {
  EXPECT_DOUBLE_EQ(median({3.0, 1.0, 2.0}), 2.0);
  EXPECT_DOUBLE_EQ(median({4.0, 1.0, 3.0, 2.0}), 2.5);
  EXPECT_THROW(median({}), RuntimeFailure);
}

}  // namespace
}  // namespace relpos::bench
