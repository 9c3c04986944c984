#pragma once
// What `relpos bench` measures and the stable JSON it writes (schema
// "relpos-bench/1", documented in docs/benchmarks.md). Readers must ignore
// keys they do not know; a change of meaning gets a new schema name.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relpos::bench {

inline constexpr std::string_view kBenchSchema = "relpos-bench/1";

/// One backend x mode x N x threads measurement.
struct BenchRecord {
  std::string backend;
  std::string mode;  ///< fp32, bf16, accumulate
  std::string direction = "forward";  ///< forward (the pair tensor) or backward (dW from G)
  std::int64_t n = 0;
  std::int64_t c_z = 0;
  int threads = 0;     ///< worker threads (0 = a device backend: not applicable)
  std::string device;  ///< the arena's description, e.g. "host, 2 threads of 2 cores"
  int reps = 0;        ///< timed repetitions behind the statistics
  double median_ms = 0;
  double min_ms = 0;
  double max_ms = 0;
  std::uint64_t bytes_moved = 0;  ///< output bytes written (x2 when accumulating: read + write)
  double gbps = 0;                ///< bytes_moved / median, 1e9 bytes per second
  std::string limit_kind;         ///< "memset", "read-modify-write", "cudaMemset", ...
  double limit_ms = 0;            ///< median of the limit, interleaved with this path's reps
  double limit_min_ms = 0;
  double limit_max_ms = 0;
  double limit_ratio = 0;                        ///< median_ms / limit_ms (1.0 = at the limit)
  std::optional<double> store_loop_ms;     ///< host write modes: a plain vector-store loop over the same bytes
  std::optional<double> store_loop_ratio;  ///< median_ms / store_loop_ms
  std::optional<double> speedup_vs_onehot_blas;  ///< onehot-blas median / this median, same mode, N, threads
  std::optional<double> speedup_vs_onehot;       ///< onehot (sequential) median / this median, same mode and N
  double first_touch_ms = 0;                     ///< faulting in a fresh output of this size with these threads
  std::uint64_t output_bytes = 0;
  std::optional<std::uint64_t> peak_extra_bytes;  ///< measured peak beyond the output (none: not measured)
  std::uint64_t model_extra_bytes = 0;            ///< the memory model's prediction of the same
  std::vector<std::string> notes;

  friend bool operator==(const BenchRecord&, const BenchRecord&) = default;
};

/// One row of the memory model, for plotting memory against N.
struct ModelPoint {
  std::string path;
  std::string mode;
  std::int64_t n = 0;
  std::int64_t c_z = 0;
  std::uint64_t peak_bytes = 0;
  std::uint64_t extra_bytes = 0;

  friend bool operator==(const ModelPoint&, const ModelPoint&) = default;
};

struct BenchReport {
  std::string schema = std::string(kBenchSchema);
  std::string relpos_version;
  std::string date;  ///< UTC, ISO 8601
  std::string cpu;   ///< model name from /proc/cpuinfo
  int cores = 0;
  std::string simd;                 ///< the CPU lookup's instruction set here
  std::vector<double> load_before;  ///< 1, 5, 15 minute load averages when the run started
  std::vector<double> load_after;
  std::int64_t r_max = 0;
  std::int64_t s_max = 0;
  std::string layout;  ///< how the benchmarked complex is built
  std::vector<BenchRecord> records;
  std::vector<ModelPoint> memory_model;
  std::vector<std::string> notes;  ///< what was limited or skipped, and why

  friend bool operator==(const BenchReport&, const BenchReport&) = default;
};

/// The report as JSON text (two-space indentation, stable key order).
std::string to_json_text(const BenchReport& report);
/// Parses JSON text of schema relpos-bench/1; throws InputError naming the problem.
BenchReport parse_bench_json(std::string_view text);

}  // namespace relpos::bench
