#pragma once
// `relpos bench` as a library: every backend x N x mode x threads measured
// into preallocated, pre-faulted memory, each next to the physical limit of
// the same buffer measured in the same run (reps interleaved, so machine
// noise hits both), plus peak memory measured in a child next to the model.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "relpos/backend.hpp"
#include "relpos/bench/bench_record.hpp"
#include "relpos/bench/peak_memory.hpp"
#include "relpos/config.hpp"
#include "relpos/problem.hpp"

namespace relpos::bench {

struct BenchPlan {
  std::vector<std::string> backends;  ///< names; unavailable ones are skipped with a note
  std::vector<std::int64_t> sizes{256, 512, 1024, 2048};
  std::vector<OutputMode> modes{OutputMode::write_fp32, OutputMode::write_bf16, OutputMode::accumulate};
  std::vector<int> threads;  ///< host thread counts; empty = 1 and all cores
  int reps = 7;
  std::int64_t max_n_onehot = 512;  ///< the sequential reference grows as N^2 * F * c_z: seconds at N = 512
  std::int64_t max_n_blas = 2048;
  double time_budget_s = 30;   ///< per measurement: no new rep starts after this (at least one is kept)
  bool measure_memory = true;  ///< peak memory of each host path in a forked child
  Config config;
  std::int64_t chunk_rows = 1 << 16;
  Streaming streaming = Streaming::automatic;
  std::uint64_t seed = 1;
};

inline constexpr std::int64_t kMaxBenchTokens = 4096;

/// Throws InputError for a plan that cannot run (N out of range, no modes, ...).
void validate(const BenchPlan& plan);

/// Runs the plan; `progress` gets one line per step (for stderr).
BenchReport run_bench(const BenchPlan& plan, const std::function<void(const std::string&)>& progress);

/// Peak memory of one call of host backend `name` on `problem` in `mode`,
/// into a pre-faulted output that does not count: measure_peak_in_child with
/// a tiny warm-up run of the same path. extra_bytes() is the path's memory
/// beyond the output (or beyond z when accumulating).
PeakMeasurement measure_backend_peak(const std::string& name, const BackendOptions& options, const Problem& problem,
                                     OutputMode mode);

/// Fills speedup_vs_onehot_blas / speedup_vs_onehot of every record that has
/// a onehot-blas (same mode, N, threads) or onehot (same mode, N) record.
void fill_speedups(std::vector<BenchRecord>& records);

/// Median of a non-empty sample.
double median(std::vector<double> samples);

}  // namespace relpos::bench
