#pragma once
// `relpos bench` as a library: every backend x N x mode x threads measured
// into preallocated, pre-faulted memory, each next to the physical limit of
// the same buffer measured in the same run (reps interleaved, so machine
// noise hits both), plus peak memory measured in a child next to the model.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "relpos/backend.hpp"
#include "relpos/bench/bench_record.hpp"
#include "relpos/bench/peak_memory.hpp"
#include "relpos/config.hpp"
#include "relpos/problem.hpp"

namespace relpos::bench {

/// What one timing computes: an output mode in a precision regime ("fp32",
/// "bf16", "bf16-autocast" (a bf16 write, W rounded first), "accumulate"), on
/// bench_layout(N) linear or with its cyclic chain ("+cyclic": Boltz offsets).
struct BenchMode {
  OutputMode output = OutputMode::write_fp32;
  Precision precision = Precision::fp32;
  Cyclic cyclic = Cyclic::none;

  std::string name() const;
  friend auto operator<=>(const BenchMode&, const BenchMode&) = default;
};

/// Throws InputError naming the mode for anything else.
BenchMode parse_bench_mode(std::string_view name);

enum class Direction { forward, backward };
std::string_view to_string(Direction direction);
/// "forward" or "backward"; throws InputError otherwise.
Direction parse_direction(std::string_view name);

struct BenchPlan {
  std::vector<std::string> backends;  ///< names; unavailable ones are skipped with a note
  std::vector<std::int64_t> sizes{256, 512, 1024, 2048};
  std::vector<BenchMode> modes{{OutputMode::write_fp32, Precision::fp32},
                               {OutputMode::write_bf16, Precision::fp32},
                               {OutputMode::accumulate, Precision::fp32}};
  std::vector<int> threads;  ///< host thread counts; empty = 1 and all cores
  /// forward: every mode; backward: each backend's weight gradient (fp32) against one read of G.
  std::vector<Direction> directions{Direction::forward};
  int reps = 7;
  std::int64_t max_n_onehot = 512;  ///< the sequential reference grows as N^2 * F * c_z: seconds at N = 512
  std::int64_t max_n_blas = 2048;
  double time_budget_s = 30;   ///< per measurement: no new rep starts after this (at least one is kept)
  bool measure_memory = true;  ///< peak memory of each host path in a forked child
  Config config;  ///< variant, r_max, s_max, c_z; the precision and cyclic form are each mode's
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
