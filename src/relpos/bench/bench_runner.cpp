#include "relpos/bench/bench_runner.hpp"

#include <cblas.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include "relpos/backends/cpu_lookup.hpp"
#include "relpos/bench/bench_layout.hpp"
#include "relpos/bench/host_arena.hpp"
#include "relpos/bench/memory_model.hpp"
#include "relpos/bench/peak_memory.hpp"
#include "relpos/errors.hpp"
#include "relpos/problem.hpp"
#include "relpos/synthetic_weights.hpp"
#include "relpos/version.hpp"
#include "relpos/system.hpp"

namespace relpos::bench {
namespace {

// A path slower than this per call gives no untimed warm-up: its first call
// (into the same pre-faulted memory) is already a fair sample.
constexpr double kSlowCallSeconds = 1.0;
constexpr std::int64_t kTinyTokens = 4;

std::vector<double> load_average() {
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) != 3) return {};
  return {load[0], load[1], load[2]};
}

std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line))
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  return "unknown";
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::uint64_t element_bytes(OutputMode mode) { return mode == OutputMode::write_bf16 ? 2 : 4; }

struct Samples {
  std::vector<double> path;
  std::vector<double> limit;
  std::vector<double> reference;  ///< the optional second reference (host store loop)
  bool budget_hit = false;
};

// The path, its limit and an optional second reference, rep by rep, the order
// reversed every other rep, so slow drifts and bursts of load from other
// processes fall on all of them.
Samples measure(Arena& arena, const std::function<void()>& work, const std::function<double()>& limit,
                const std::function<double()>& reference, int reps, double budget_s) {
  Samples samples;
  const double warm = arena.time(work);
  limit();
  if (reference) reference();
  if (warm > kSlowCallSeconds) samples.path.push_back(warm);
  const auto start = std::chrono::steady_clock::now();
  for (int rep = 0; static_cast<int>(samples.path.size()) < reps; ++rep) {
    if (!samples.path.empty() && seconds_since(start) > budget_s) {
      samples.budget_hit = true;
      break;
    }
    if (rep % 2 == 0) {
      samples.path.push_back(arena.time(work));
      samples.limit.push_back(limit());
      if (reference) samples.reference.push_back(reference());
    } else {
      if (reference) samples.reference.push_back(reference());
      samples.limit.push_back(limit());
      samples.path.push_back(arena.time(work));
    }
  }
  return samples;
}

// The config as `mode` computes it: the plan's, in the mode's regime and cyclic form.
Config config_for(const Config& config, const BenchMode& mode) {
  Config regime = config;
  regime.precision = mode.precision;
  regime.cyclic = mode.cyclic;
  return regime;
}

struct Runnable {
  std::string name;
  MemorySpace space = MemorySpace::host;
};

}  // namespace

std::string BenchMode::name() const {
  const bool autocast = output == OutputMode::write_bf16 && precision == Precision::bf16_autocast;
  return fmt::format("{}{}", autocast ? "bf16-autocast" : to_string(output), cyclic == Cyclic::boltz ? "+cyclic" : "");
}

BenchMode parse_bench_mode(std::string_view name) {
  const std::string_view given = name;
  BenchMode mode;
  if (name.ends_with("+cyclic")) {
    mode.cyclic = Cyclic::boltz;
    name.remove_suffix(std::string_view("+cyclic").size());
  }
  if (name == "bf16-autocast") {
    mode.output = OutputMode::write_bf16;
    mode.precision = Precision::bf16_autocast;
  } else if (name == "fp32" || name == "bf16" || name == "accumulate") {
    mode.output = parse_output_mode(name);
  } else {
    throw InputError(fmt::format(
        "bench: unknown mode '{}' (expected fp32, bf16, bf16-autocast or accumulate, each optionally +cyclic)", given));
  }
  return mode;
}

double median(std::vector<double> samples) {
  if (samples.empty()) throw RuntimeFailure("median of no samples");
  std::sort(samples.begin(), samples.end());
  const std::size_t mid = samples.size() / 2;
  return samples.size() % 2 == 1 ? samples[mid] : 0.5 * (samples[mid - 1] + samples[mid]);
}

void validate(const BenchPlan& plan) {
  validate(plan.config);
  if (plan.backends.empty()) throw InputError("bench: no backend to run");
  if (plan.sizes.empty()) throw InputError("bench: no N to run");
  for (std::int64_t n : plan.sizes)
    if (n < 1 || n > kMaxBenchTokens)
      throw InputError(fmt::format("bench: N = {} is outside 1..{} (fp32 output at N = 4096, c_z = 128 is 8.6 GB)", n,
                                   kMaxBenchTokens));
  if (plan.modes.empty()) throw InputError("bench: no mode to run");
  for (int t : plan.threads)
    if (t < 1) throw InputError(fmt::format("bench: thread count {} must be at least 1", t));
  if (plan.reps < 1) throw InputError(fmt::format("bench: --reps {} must be at least 1", plan.reps));
  if (plan.chunk_rows < 1) throw InputError(fmt::format("bench: --chunk-rows {} must be at least 1", plan.chunk_rows));
  if (!(plan.time_budget_s > 0)) throw InputError("bench: the time budget must be positive");
}

PeakMeasurement measure_backend_peak(const std::string& name, const BackendOptions& options, const Problem& problem,
                                     OutputMode mode) {
  const std::int64_t n = problem.layout.tokens();
  const std::int64_t batch = problem.layout.batch();
  const std::int64_t channels = problem.config.c_z;
  const std::uint64_t count = static_cast<std::uint64_t>(batch * n * n * channels);
  const std::uint64_t bytes = count * element_bytes(mode);
  const int threads = options.threads > 0 ? options.threads : usable_cores();
  const auto backend = make_backend(name, options);
  const Layout tiny_layout = bench_layout(kTinyTokens, problem.config.cyclic == Cyclic::boltz);
  const Problem tiny_problem{problem.config, tiny_layout, problem.weights};
  std::unique_ptr<HostArena> arena;
  void* data = nullptr;
  return measure_peak_in_child(
      [&] {
        if (name == "onehot-blas") openblas_set_num_threads(threads);
        // A tiny run first maps the path's code into the child (see measure_peak_in_child).
        std::vector<float> tiny_out(static_cast<std::size_t>(kTinyTokens * kTinyTokens * channels));
        backend->run(tiny_problem, PairOutput{mode, MemorySpace::host, tiny_out.data(), 1, kTinyTokens, channels});
        arena = std::make_unique<HostArena>(threads);
        arena->set_partition_unit(static_cast<std::size_t>(n * channels) * element_bytes(mode));
        data = arena->allocate(bytes);
        if (mode == OutputMode::accumulate) {
          arena->fill(static_cast<float*>(data), count, 0.0f);
        } else {
          arena->prefault(data, bytes);
        }
      },
      [&] {
        backend->run(problem, PairOutput{mode, MemorySpace::host, data, batch, n, channels});
      });
}

void fill_speedups(std::vector<BenchRecord>& records) {
  std::map<std::tuple<std::string, std::int64_t, int>, double> blas;
  std::map<std::pair<std::string, std::int64_t>, double> sequential;
  for (const BenchRecord& r : records) {
    if (r.backend == "onehot-blas") blas[{r.mode, r.n, r.threads}] = r.median_ms;
    if (r.backend == "onehot") sequential[{r.mode, r.n}] = r.median_ms;
  }
  for (BenchRecord& r : records) {
    if (r.median_ms <= 0) continue;
    if (const auto found = blas.find({r.mode, r.n, r.threads}); found != blas.end())
      r.speedup_vs_onehot_blas = found->second / r.median_ms;
    if (const auto found = sequential.find({r.mode, r.n}); found != sequential.end())
      r.speedup_vs_onehot = found->second / r.median_ms;
  }
}

BenchReport run_bench(const BenchPlan& plan, const std::function<void(const std::string&)>& progress) {
  validate(plan);
  BenchReport report;
  report.relpos_version = kVersion;
  report.date = utc_now();
  report.cpu = cpu_model();
  report.cores = usable_cores();
  report.simd = std::string(cpu_lookup_instruction_set());
  report.load_before = load_average();
  report.r_max = plan.config.r_max;
  report.s_max = plan.config.s_max;
  report.layout =
      "bench_layout(N): homodimer (2 x 40%), a second protein (12%, one residue per-atom; a cyclic chain in +cyclic "
      "modes), ligands of <= 24 atom tokens";

  std::vector<int> thread_counts = plan.threads;
  if (thread_counts.empty()) thread_counts = {1, usable_cores()};
  std::sort(thread_counts.begin(), thread_counts.end());
  thread_counts.erase(std::unique(thread_counts.begin(), thread_counts.end()), thread_counts.end());
  const int most_threads = thread_counts.back();

  // Backends that can run here; the rest get one note each.
  std::vector<Runnable> runnable;
  for (const std::string& name : plan.backends) {
    auto backend = make_backend(name, {.threads = 1, .streaming = plan.streaming, .chunk_rows = plan.chunk_rows});
    const Availability availability = backend->availability();
    if (!availability.available) {
      report.notes.push_back(fmt::format("{}: not available here ({})", name, availability.detail));
      progress(report.notes.back());
      continue;
    }
    const MemorySpace space = backend->native_space();
    runnable.push_back({name, space});
  }
  if (std::any_of(runnable.begin(), runnable.end(), [](const Runnable& r) { return r.name == "onehot"; }) &&
      std::any_of(plan.sizes.begin(), plan.sizes.end(), [&](std::int64_t n) { return n > plan.max_n_onehot; })) {
    report.notes.push_back(
        fmt::format("onehot (sequential reference) run only for N <= {} (--max-n-onehot): its time grows as N^2 "
                    "(seconds at N = 512)",
                    plan.max_n_onehot));
    progress("note: " + report.notes.back());
  }
  if (std::any_of(runnable.begin(), runnable.end(), [](const Runnable& r) { return r.name == "onehot-blas"; }) &&
      std::any_of(plan.sizes.begin(), plan.sizes.end(), [&](std::int64_t n) { return n > plan.max_n_blas; })) {
    report.notes.push_back(
        fmt::format("onehot-blas run only for N <= {} (--max-n-blas); no speed-up is extrapolated", plan.max_n_blas));
    progress("note: " + report.notes.back());
  }

  const Weights weights = protenix_synthetic_weights(plan.config, plan.seed);
  std::vector<std::int64_t> sizes = plan.sizes;
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());

  std::unique_ptr<Arena> device_arena;
  bool device_tried = false;

  // Two passes: every peak-memory child first, forked while this process has
  // not yet run any path (a child inherits what the parent already touched,
  // e.g. OpenBLAS's buffers, and would not count it), then the timings.
  std::map<std::tuple<std::string, BenchMode, std::int64_t, int>, std::uint64_t> peaks;
  for (const bool memory_pass : {true, false}) {
    if (memory_pass && !plan.measure_memory) continue;
    for (const std::int64_t n : sizes) {
      const Layout linear = bench_layout(n);
      const bool any_cyclic = std::any_of(plan.modes.begin(), plan.modes.end(),
                                          [](const BenchMode& m) { return m.cyclic == Cyclic::boltz; });
      const Layout cyclic = any_cyclic ? bench_layout(n, true) : Layout{};
      auto problem_for = [&](const BenchMode& mode) {
        return Problem{config_for(plan.config, mode), mode.cyclic == Cyclic::boltz ? cyclic : linear, weights};
      };
      const std::int64_t channels = plan.config.c_z;
      const std::uint64_t count = static_cast<std::uint64_t>(n * n * channels);
      auto runs_at = [&](const std::string& name) {
        if (name == "onehot") return n <= plan.max_n_onehot;
        if (name == "onehot-blas") return n <= plan.max_n_blas;
        return true;
      };
      auto shape_for = [&](const BenchMode& mode, int threads) {
        MemoryShape shape;
        shape.threads = threads;
        shape.config = config_for(plan.config, mode);
        shape.tokens = n;
        shape.chunk_rows = plan.chunk_rows;
        shape.mode = mode.output;
        return shape;
      };
      auto options_for = [&](int threads) {
        return BackendOptions{.threads = threads, .streaming = plan.streaming, .chunk_rows = plan.chunk_rows};
      };

      if (memory_pass) {
        for (const Runnable& r : runnable) {
          if (r.space != MemorySpace::host || !runs_at(r.name)) continue;
          // Per thread count: cpu's per-thread scratch and OpenBLAS's threaded packing both grow with it.
          for (const int threads : thread_counts) {
            if (r.name == "onehot" && threads != thread_counts.front()) continue;
            const int used = r.name == "onehot" ? 1 : threads;
            for (const BenchMode& mode : plan.modes) {
              progress(fmt::format("N={} {} {}: peak memory in a child ({} thread{})", n, r.name, mode.name(),
                                   used, used == 1 ? "" : "s"));
              peaks[{r.name, mode, n, used}] =
                  measure_backend_peak(r.name, options_for(used), problem_for(mode), mode.output).extra_bytes();
            }
          }
        }
        continue;
      }

      for (const BenchMode& mode : plan.modes)
        for (const PathMemory& path : memory_model(shape_for(mode, most_threads)))
          report.memory_model.push_back(
              ModelPoint{path.path, mode.name(), n, channels, path.peak_bytes, path.extra_bytes});

      // Timing: one fresh buffer per thread count (its first touch timed), every host backend into it.
      auto time_backend = [&](Arena& arena, const Runnable& r, int threads, void* data, double first_touch_ms) {
        const auto backend = make_backend(r.name, options_for(std::max(threads, 1)));
        auto* host = dynamic_cast<HostArena*>(&arena);
        if (r.name == "onehot-blas") openblas_set_num_threads(std::max(threads, 1));
        for (const BenchMode& mode : plan.modes) {
          const std::uint64_t bytes = count * element_bytes(mode.output);
          if (host != nullptr) {
            host->set_threads(threads);
            host->set_partition_unit(static_cast<std::size_t>(n * channels) * element_bytes(mode.output));
          }
          if (mode.output == OutputMode::accumulate) arena.fill(static_cast<float*>(data), count, 0.0f);
          const PairOutput out{mode.output, arena.space(), data, 1, n, channels};
          const Problem regime = problem_for(mode);
          progress(fmt::format("N={} {} {} threads={}: timing", n, r.name, mode.name(), threads));
          const bool rmw = mode.output == OutputMode::accumulate;
          const Samples samples = measure(
              arena, [&] { backend->run(regime, out); },
              [&] {
                return rmw ? arena.time_read_modify_write_limit(static_cast<float*>(data), count)
                           : arena.time_write_limit(data, bytes);
              },
              host != nullptr && !rmw ? std::function<double()>([&] { return host->time_store_loop(data, bytes); })
                                      : std::function<double()>(),
              plan.reps, plan.time_budget_s);

          BenchRecord record;
          record.backend = r.name;
          record.mode = mode.name();
          record.n = n;
          record.c_z = channels;
          record.threads = threads;
          record.device = arena.describe();
          record.reps = static_cast<int>(samples.path.size());
          record.median_ms = median(samples.path) * 1e3;
          record.min_ms = *std::min_element(samples.path.begin(), samples.path.end()) * 1e3;
          record.max_ms = *std::max_element(samples.path.begin(), samples.path.end()) * 1e3;
          record.bytes_moved = rmw ? 2 * bytes : bytes;
          record.gbps = static_cast<double>(record.bytes_moved) / (record.median_ms * 1e-3) / 1e9;
          const bool device = arena.space() == MemorySpace::device;
          // The device arena's limits are its own (its describe() names them).
          record.limit_kind = rmw ? (device ? "device read-modify-write" : "read-modify-write loop")
                                  : (device ? "device write" : "memset");
          record.limit_ms = median(samples.limit) * 1e3;
          record.limit_min_ms = *std::min_element(samples.limit.begin(), samples.limit.end()) * 1e3;
          record.limit_max_ms = *std::max_element(samples.limit.begin(), samples.limit.end()) * 1e3;
          record.limit_ratio = record.median_ms / record.limit_ms;
          if (!samples.reference.empty()) {
            record.store_loop_ms = median(samples.reference) * 1e3;
            record.store_loop_ratio = record.median_ms / *record.store_loop_ms;
          }
          record.first_touch_ms = first_touch_ms;
          record.output_bytes = bytes;
          if (const auto found = peaks.find({r.name, mode, n, threads}); found != peaks.end())
            record.peak_extra_bytes = found->second;
          record.model_extra_bytes = backend_memory_model(r.name, shape_for(mode, std::max(threads, 1))).extra_bytes;
          if (samples.budget_hit)
            record.notes.push_back(fmt::format("{} reps: time budget {} s reached", record.reps, plan.time_budget_s));
          if (plan.measure_memory && !record.peak_extra_bytes && r.space == MemorySpace::host)
            record.notes.push_back("peak memory not measured");
          report.records.push_back(std::move(record));
        }
      };

      const bool any_host = std::any_of(runnable.begin(), runnable.end(), [&](const Runnable& r) {
        return r.space == MemorySpace::host && runs_at(r.name);
      });
      if (any_host) {
        HostArena arena;
        for (int threads : thread_counts) {
          arena.set_threads(threads);
          arena.set_partition_unit(static_cast<std::size_t>(n * channels) * 4);
          const std::uint64_t bytes = count * 4;
          void* data = arena.allocate(bytes);
          const double first_touch_ms = arena.time([&] { arena.prefault(data, bytes); }) * 1e3;
          progress(fmt::format("N={} threads={}: first touch of {} took {:.1f} ms", n, threads, format_bytes(bytes),
                               first_touch_ms));
          for (const Runnable& r : runnable) {
            if (r.space != MemorySpace::host || !runs_at(r.name)) continue;
            // The sequential reference is single-threaded by design: one record, threads = 1.
            if (r.name == "onehot" && threads != thread_counts.front()) continue;
            time_backend(arena, r, r.name == "onehot" ? 1 : threads, data, first_touch_ms);
          }
          arena.release(data);
        }
      }

      for (const Runnable& r : runnable) {
        if (r.space != MemorySpace::device) continue;
        if (!device_tried) {
          device_tried = true;
          try {
            device_arena = make_device_arena();
          } catch (const RuntimeFailure& e) {
            report.notes.push_back(fmt::format("{}: not available here ({})", r.name, e.what()));
            progress(report.notes.back());
          }
        }
        if (!device_arena) break;
        const std::uint64_t bytes = count * 4;
        void* data = device_arena->allocate(bytes);
        const double first_touch_ms = device_arena->time([&] { device_arena->prefault(data, bytes); }) * 1e3;
        time_backend(*device_arena, r, 0, data, first_touch_ms);
        device_arena->release(data);
      }
    }
  }
  fill_speedups(report.records);
  report.load_after = load_average();
  return report;
}

}  // namespace relpos::bench
