#include "relpos/bench/bench_runner.hpp"

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

#include "relpos/backends/registry.hpp"
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

// A backend of the plan that can run here, as it describes itself.
struct Runnable {
  std::string name;
  MemorySpace space = MemorySpace::host;
  BackendTraits traits;
};

}  // namespace

std::string_view to_string(Direction direction) {
  return direction == Direction::backward ? "backward" : "forward";
}

Direction parse_direction(std::string_view name) {
  if (name == "forward") return Direction::forward;
  if (name == "backward") return Direction::backward;
  throw InputError(fmt::format("unknown direction '{}' (expected forward or backward)", name));
}

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
  std::map<std::string, BenchRole> roles;
  for (const BackendEntry& entry : registered_backends()) roles[entry.name] = entry.make({})->traits().role;
  const auto role_of = [&](const std::string& name) {
    const auto found = roles.find(name);
    return found == roles.end() ? BenchRole::lookup : found->second;
  };
  // Forward and backward records are compared within their own direction only.
  std::map<std::tuple<std::string, std::string, std::int64_t, int>, double> blas;
  std::map<std::tuple<std::string, std::string, std::int64_t>, double> sequential;
  for (const BenchRecord& r : records) {
    if (role_of(r.backend) == BenchRole::blas_reference) blas[{r.direction, r.mode, r.n, r.threads}] = r.median_ms;
    if (role_of(r.backend) == BenchRole::sequential_reference) sequential[{r.direction, r.mode, r.n}] = r.median_ms;
  }
  for (BenchRecord& r : records) {
    if (r.median_ms <= 0) continue;
    if (const auto found = blas.find({r.direction, r.mode, r.n, r.threads}); found != blas.end())
      r.speedup_vs_onehot_blas = found->second / r.median_ms;
    if (const auto found = sequential.find({r.direction, r.mode, r.n}); found != sequential.end())
      r.speedup_vs_onehot = found->second / r.median_ms;
  }
}

namespace {

// One run of a plan: the backends that can run, the sizes and thread counts,
// and the report filled step by step.
class BenchRun {
 public:
  BenchRun(const BenchPlan& plan, const std::function<void(const std::string&)>& progress)
      : plan_(plan), progress_(progress), weights_(protenix_synthetic_weights(plan.config, plan.seed)) {
    thread_counts_ = plan.threads.empty() ? std::vector<int>{1, usable_cores()} : plan.threads;
    std::sort(thread_counts_.begin(), thread_counts_.end());
    thread_counts_.erase(std::unique(thread_counts_.begin(), thread_counts_.end()), thread_counts_.end());
    sizes_ = plan.sizes;
    std::sort(sizes_.begin(), sizes_.end());
    sizes_.erase(std::unique(sizes_.begin(), sizes_.end()), sizes_.end());
  }

  BenchReport run() {
    describe_machine();
    select_backends();
    note_size_limits();
    // Two passes: every peak-memory child first, forked while this process has
    // not yet run any path (a child inherits what the parent already touched,
    // e.g. OpenBLAS's buffers, and would not count it), then the timings.
    const bool forward = wants(Direction::forward);
    if (plan_.measure_memory && forward)
      for (const std::int64_t n : sizes_) measure_peaks(Size(plan_, n, weights_));
    for (const std::int64_t n : sizes_) {
      const Size size(plan_, n, weights_);
      if (forward) {
        add_memory_model(size);
        time_host_backends(size);
        time_device_backends(size);
      }
      if (wants(Direction::backward)) time_backward(size);
    }
    fill_speedups(report_.records);
    report_.load_after = load_average();
    return std::move(report_);
  }

 private:
  // One N: its layouts (linear, and cyclic when a mode needs it) and the problem of each mode.
  struct Size {
    Size(const BenchPlan& plan, std::int64_t tokens, const Weights& w)
        : n(tokens), channels(plan.config.c_z), count(static_cast<std::uint64_t>(tokens * tokens * plan.config.c_z)),
          config(plan.config), weights(w), linear(bench_layout(tokens)) {
      if (std::any_of(plan.modes.begin(), plan.modes.end(), [](const BenchMode& m) { return m.cyclic == Cyclic::boltz; }))
        cyclic = bench_layout(tokens, true);
    }
    Problem problem(const BenchMode& mode) const {
      return Problem{config_for(config, mode), mode.cyclic == Cyclic::boltz ? cyclic : linear, weights};
    }
    std::int64_t n, channels;
    std::uint64_t count;
    Config config;
    const Weights& weights;
    Layout linear, cyclic;
  };

  bool wants(Direction direction) const {
    return std::find(plan_.directions.begin(), plan_.directions.end(), direction) != plan_.directions.end();
  }

  // Backward: each host backend's dW from G (fp32, the linear layout) against
  // one read of G, the least any backward must do, in the same run.
  void time_backward(const Size& size) {
    const Problem problem = size.problem(BenchMode{});
    const std::uint64_t bytes = size.count * 4;
    HostArena arena;
    auto* g = static_cast<float*>(arena.allocate(bytes));
    arena.prefault(g, bytes);
    // Any finite values do: the work does not depend on them.
    for (std::uint64_t k = 0; k < size.count; ++k) g[k] = static_cast<float>(static_cast<int>(k * 2654435761u % 2001) - 1000) * 1e-3f;
    std::vector<float> dw(static_cast<std::size_t>(size.channels * size.config.feature_width()));
    for (const int threads : thread_counts_) {
      arena.set_threads(threads);
      arena.set_partition_unit(static_cast<std::size_t>(size.n * size.channels) * 4);
      for (const Runnable& r : runnable_) {
        if (r.space != MemorySpace::host || !runs_at(r, size.n)) continue;
        if (!r.traits.threaded && threads != thread_counts_.front()) continue;
        const int used = r.traits.threaded ? threads : 1;
        const auto backend = make_backend(r.name, options_for(used));
        if (!backend->has_backward()) continue;
        progress_(fmt::format("N={} {} backward threads={}: timing", size.n, r.name, used));
        const Samples samples = measure(
            arena, [&] { backend->backward(problem, {g, size.count}, dw); },
            [&] { return arena.time_read_limit(g, size.count); }, {}, plan_.reps, plan_.time_budget_s);
        BenchRecord record = timing_record(samples, arena, r.name, BenchMode{}, size, used, bytes);
        record.direction = std::string(to_string(Direction::backward));
        record.limit_kind = "one read of G";
        record.output_bytes = bytes;
        for (const LiveBuffer& buffer : backend->backward_workspace(shape_for(size, BenchMode{}, used)).buffers)
          record.model_extra_bytes += buffer.bytes;
        record.notes.push_back("backward: bytes are G's (read once); the peak is not measured, the model is the "
                               "backend's stated workspace");
        report_.records.push_back(std::move(record));
      }
    }
    arena.release(g);
  }

  void describe_machine() {
    report_.relpos_version = kVersion;
    report_.date = utc_now();
    report_.cpu = cpu_model();
    report_.cores = usable_cores();
    report_.load_before = load_average();
    // The machine's vector instructions as the backends that choose them see it, whichever are timed.
    for (const BackendEntry& entry : registered_backends())
      if (report_.simd.empty()) report_.simd = entry.make({})->traits().instruction_set;
    report_.r_max = plan_.config.r_max;
    report_.s_max = plan_.config.s_max;
    report_.layout =
        "bench_layout(N): homodimer (2 x 40%), a second protein (12%, one residue per-atom; a cyclic chain in "
        "+cyclic modes), ligands of <= 24 atom tokens";
  }

  void note(std::string text) {
    report_.notes.push_back(std::move(text));
    progress_("note: " + report_.notes.back());
  }

  // The backends that can run here; the rest get one note each.
  void select_backends() {
    for (const std::string& name : plan_.backends) {
      const auto backend = make_backend(name, options_for(1));
      const Availability availability = backend->availability();
      if (!availability.available) {
        report_.notes.push_back(fmt::format("{}: not available here ({})", name, availability.detail));
        progress_(report_.notes.back());
        continue;
      }
      runnable_.push_back({name, backend->native_space(), backend->traits()});
    }
  }

  // The largest N a backend's role allows (0: any).
  std::int64_t size_limit(const Runnable& r) const {
    switch (r.traits.role) {
      case BenchRole::sequential_reference: return plan_.max_n_onehot;
      case BenchRole::blas_reference: return plan_.max_n_blas;
      case BenchRole::lookup: return 0;
    }
    return 0;
  }
  bool runs_at(const Runnable& r, std::int64_t n) const { return size_limit(r) == 0 || n <= size_limit(r); }

  void note_size_limits() {
    for (const Runnable& r : runnable_) {
      const std::int64_t limit = size_limit(r);
      if (limit == 0 || std::none_of(sizes_.begin(), sizes_.end(), [&](std::int64_t n) { return n > limit; }))
        continue;
      if (r.traits.role == BenchRole::sequential_reference)
        note(fmt::format("{} (sequential reference) run only for N <= {} (--max-n-onehot): its time grows as N^2 "
                         "(seconds at N = 512)",
                         r.name, limit));
      else
        note(fmt::format("{} run only for N <= {} (--max-n-blas); no speed-up is extrapolated", r.name, limit));
    }
  }

  BackendOptions options_for(int threads) const {
    return BackendOptions{.threads = threads, .streaming = plan_.streaming, .chunk_rows = plan_.chunk_rows};
  }

  MemoryShape shape_for(const Size& size, const BenchMode& mode, int threads) const {
    MemoryShape shape;
    shape.threads = threads;
    shape.config = config_for(plan_.config, mode);
    shape.tokens = size.n;
    shape.chunk_rows = plan_.chunk_rows;
    shape.mode = mode.output;
    return shape;
  }

  // The thread counts a host backend is timed with: all of them, or one single-threaded run.
  std::vector<int> threads_of(const Runnable& r) const {
    return r.traits.threaded ? thread_counts_ : std::vector<int>{1};
  }

  void measure_peaks(const Size& size) {
    for (const Runnable& r : runnable_) {
      if (r.space != MemorySpace::host || !runs_at(r, size.n)) continue;
      // Per thread count: cpu's per-thread scratch and OpenBLAS's threaded packing both grow with it.
      for (const int threads : threads_of(r))
        for (const BenchMode& mode : plan_.modes) {
          progress_(fmt::format("N={} {} {}: peak memory in a child ({} thread{})", size.n, r.name, mode.name(),
                                threads, threads == 1 ? "" : "s"));
          peaks_[{r.name, mode, size.n, threads}] =
              measure_backend_peak(r.name, options_for(threads), size.problem(mode), mode.output).extra_bytes();
        }
    }
  }

  void add_memory_model(const Size& size) {
    for (const BenchMode& mode : plan_.modes)
      for (const PathMemory& path : memory_model(shape_for(size, mode, thread_counts_.back())))
        report_.memory_model.push_back(
            ModelPoint{path.path, mode.name(), size.n, size.channels, path.peak_bytes, path.extra_bytes});
  }

  // Timing: one fresh buffer per thread count (its first touch timed), every host backend into it.
  void time_host_backends(const Size& size) {
    if (std::none_of(runnable_.begin(), runnable_.end(),
                     [&](const Runnable& r) { return r.space == MemorySpace::host && runs_at(r, size.n); }))
      return;
    HostArena arena;
    for (const int threads : thread_counts_) {
      arena.set_threads(threads);
      arena.set_partition_unit(static_cast<std::size_t>(size.n * size.channels) * 4);
      const std::uint64_t bytes = size.count * 4;
      void* data = arena.allocate(bytes);
      const double first_touch_ms = arena.time([&] { arena.prefault(data, bytes); }) * 1e3;
      progress_(fmt::format("N={} threads={}: first touch of {} took {:.1f} ms", size.n, threads, format_bytes(bytes),
                            first_touch_ms));
      for (const Runnable& r : runnable_) {
        if (r.space != MemorySpace::host || !runs_at(r, size.n)) continue;
        // A single-threaded path (the sequential reference) is timed once, with the first thread count's buffer.
        if (!r.traits.threaded && threads != thread_counts_.front()) continue;
        time_backend(size, arena, r, r.traits.threaded ? threads : 1, data, first_touch_ms);
      }
      arena.release(data);
    }
  }

  void time_device_backends(const Size& size) {
    for (const Runnable& r : runnable_) {
      if (r.space == MemorySpace::host) continue;
      Arena* arena = device_arena(r);
      if (arena == nullptr) continue;
      const std::uint64_t bytes = size.count * 4;
      void* data = arena->allocate(bytes);
      const double first_touch_ms = arena->time([&] { arena->prefault(data, bytes); }) * 1e3;
      time_backend(size, *arena, r, 0, data, first_touch_ms);
      arena->release(data);
    }
  }

  // The backend's own arena, made once; nullptr (and a note) when it cannot be.
  Arena* device_arena(const Runnable& r) {
    if (const auto found = device_arenas_.find(r.name); found != device_arenas_.end()) return found->second.get();
    std::unique_ptr<Arena>& arena = device_arenas_[r.name];
    try {
      arena = make_backend(r.name, options_for(0))->make_arena();
      if (!arena) throw RuntimeFailure("it provides no arena for its memory space");
    } catch (const RuntimeFailure& e) {
      report_.notes.push_back(fmt::format("{}: not available here ({})", r.name, e.what()));
      progress_(report_.notes.back());
    }
    return arena.get();
  }

  void time_backend(const Size& size, Arena& arena, const Runnable& r, int threads, void* data,
                    double first_touch_ms) {
    const auto backend = make_backend(r.name, options_for(std::max(threads, 1)));
    auto* host = dynamic_cast<HostArena*>(&arena);
    for (const BenchMode& mode : plan_.modes) {
      const std::uint64_t bytes = size.count * element_bytes(mode.output);
      if (host != nullptr) {
        host->set_threads(threads);
        host->set_partition_unit(static_cast<std::size_t>(size.n * size.channels) * element_bytes(mode.output));
      }
      if (mode.output == OutputMode::accumulate) arena.fill(static_cast<float*>(data), size.count, 0.0f);
      const PairOutput out{mode.output, arena.space(), data, 1, size.n, size.channels};
      const Problem problem = size.problem(mode);
      progress_(fmt::format("N={} {} {} threads={}: timing", size.n, r.name, mode.name(), threads));
      const bool rmw = mode.output == OutputMode::accumulate;
      const Samples samples = measure(
          arena, [&] { backend->run(problem, out); },
          [&] {
            return rmw ? arena.time_read_modify_write_limit(static_cast<float*>(data), size.count)
                       : arena.time_write_limit(data, bytes);
          },
          host != nullptr && !rmw ? std::function<double()>([&] { return host->time_store_loop(data, bytes); })
                                  : std::function<double()>(),
          plan_.reps, plan_.time_budget_s);
      BenchRecord record = timing_record(samples, arena, r.name, mode, size, threads, rmw ? 2 * bytes : bytes);
      record.output_bytes = bytes;
      record.first_touch_ms = first_touch_ms;
      if (const auto found = peaks_.find({r.name, mode, size.n, threads}); found != peaks_.end())
        record.peak_extra_bytes = found->second;
      record.model_extra_bytes = backend_memory_model(r.name, shape_for(size, mode, std::max(threads, 1))).extra_bytes;
      if (plan_.measure_memory && !record.peak_extra_bytes && r.space == MemorySpace::host)
        record.notes.push_back("peak memory not measured");
      report_.records.push_back(std::move(record));
    }
  }

  BenchRecord timing_record(const Samples& samples, const Arena& arena, const std::string& backend,
                            const BenchMode& mode, const Size& size, int threads, std::uint64_t moved) const {
    const bool rmw = mode.output == OutputMode::accumulate;
    BenchRecord record;
    record.backend = backend;
    record.mode = mode.name();
    record.n = size.n;
    record.c_z = size.channels;
    record.threads = threads;
    record.device = arena.describe();
    record.reps = static_cast<int>(samples.path.size());
    record.median_ms = median(samples.path) * 1e3;
    record.min_ms = *std::min_element(samples.path.begin(), samples.path.end()) * 1e3;
    record.max_ms = *std::max_element(samples.path.begin(), samples.path.end()) * 1e3;
    record.bytes_moved = moved;
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
    if (samples.budget_hit)
      record.notes.push_back(fmt::format("{} reps: time budget {} s reached", record.reps, plan_.time_budget_s));
    return record;
  }

  const BenchPlan& plan_;
  const std::function<void(const std::string&)>& progress_;
  const Weights weights_;
  std::vector<int> thread_counts_;
  std::vector<std::int64_t> sizes_;
  std::vector<Runnable> runnable_;
  std::map<std::tuple<std::string, BenchMode, std::int64_t, int>, std::uint64_t> peaks_;
  std::map<std::string, std::unique_ptr<Arena>> device_arenas_;
  BenchReport report_;
};

}  // namespace

BenchReport run_bench(const BenchPlan& plan, const std::function<void(const std::string&)>& progress) {
  validate(plan);
  return BenchRun(plan, progress).run();
}

}  // namespace relpos::bench
