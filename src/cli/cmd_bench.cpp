#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/commands.hpp"
#include "relpos/backends/registry.hpp"
#include "relpos/bench/bench_runner.hpp"
#include "relpos/bench/memory_model.hpp"
#include "relpos/errors.hpp"
#include "relpos/io/atomic_file.hpp"
#include "relpos/io/hdf5_file.hpp"

namespace relpos::cli {
namespace {

struct BenchArgs {
  bench::BenchPlan plan;
  std::vector<std::string> backends;
  std::vector<std::string> modes{"fp32", "bf16", "accumulate"};
  std::string streaming = "auto";
  std::string variant = "af3";
  std::vector<std::string> cyclic{"none"};
  std::vector<std::string> directions{"forward"};
  bool no_memory = false;
  std::string json;
  bool force = false;
};

std::string ms(double value) { return value >= 100 ? fmt::format("{:.0f}", value) : fmt::format("{:.3g}", value); }

std::string range(const bench::BenchRecord& r) {
  return fmt::format("{} ({}-{})", ms(r.median_ms), ms(r.min_ms), ms(r.max_ms));
}

std::string optional_ratio(const std::optional<double>& value) { return value ? fmt::format("{:.1f}x", *value) : "-"; }

std::string peak_column(const bench::BenchRecord& r) {
  const std::string measured = r.peak_extra_bytes ? bench::format_bytes(*r.peak_extra_bytes) : "-";
  return fmt::format("{} / {}", measured, bench::format_bytes(r.model_extra_bytes));
}

std::string load_text(const std::vector<double>& load) {
  return load.size() == 3 ? fmt::format("{:.2f} {:.2f} {:.2f}", load[0], load[1], load[2]) : "unknown";
}

int run_bench_command(BenchArgs& args) {
  bench::BenchPlan& plan = args.plan;
  plan.config.variant = parse_variant(args.variant);
  plan.backends = select_backends(args.backends);
  plan.modes.clear();
  for (const std::string& form : args.cyclic)
    for (const std::string& name : args.modes) {
      bench::BenchMode mode = bench::parse_bench_mode(name);
      mode.cyclic = parse_cyclic(form);
      if (std::find(plan.modes.begin(), plan.modes.end(), mode) == plan.modes.end()) plan.modes.push_back(mode);
    }
  plan.directions.clear();
  for (const std::string& name : args.directions) {
    const bench::Direction direction = bench::parse_direction(name);
    if (std::find(plan.directions.begin(), plan.directions.end(), direction) == plan.directions.end())
      plan.directions.push_back(direction);
  }
  plan.streaming = args.streaming == "always"  ? Streaming::always
                   : args.streaming == "never" ? Streaming::never
                                               : Streaming::automatic;
  plan.measure_memory = !args.no_memory;
  bench::validate(plan);
  if (!args.json.empty()) io::refuse_existing(args.json, args.force ? io::Overwrite::allow : io::Overwrite::refuse);
  // Nothing can run: say why in one line instead of printing an empty table.
  const bool any = std::any_of(plan.backends.begin(), plan.backends.end(),
                               [](const std::string& name) { return make_backend(name)->availability().available; });
  if (!any) {
    const auto backend = make_backend(plan.backends.front());
    throw InputError(
        fmt::format("bench: {}: not available here ({})", plan.backends.front(), backend->availability().detail));
  }

  const bench::BenchReport report =
      bench::run_bench(plan, [](const std::string& line) { std::fprintf(stderr, "bench: %s\n", line.c_str()); });

  std::printf("relpos bench: %s, %d cores, %s; c_z %d, r_max %d, s_max %d; load %s -> %s\n", report.cpu.c_str(),
              report.cores, report.simd.c_str(), plan.config.c_z, plan.config.r_max, plan.config.s_max,
              load_text(report.load_before).c_str(), load_text(report.load_after).c_str());
  Table table({"backend", "dir", "mode", "N", "thr", "median ms (min-max)", "GB/s", "limit", "limit ms (min-max)", "ratio",
               "vs store loop", "vs blas", "vs onehot", "peak extra meas/model", "1st touch ms"});
  for (const bench::BenchRecord& r : report.records)
    table.add({r.backend, r.direction == "backward" ? "bwd" : "fwd", r.mode, std::to_string(r.n), std::to_string(r.threads), range(r),
               fmt::format("{:.1f}", r.gbps), r.limit_kind,
               fmt::format("{} ({}-{})", ms(r.limit_ms), ms(r.limit_min_ms), ms(r.limit_max_ms)),
               fmt::format("{:.3f}", r.limit_ratio),
               r.store_loop_ratio ? fmt::format("{:.3f}", *r.store_loop_ratio) : "-",
               optional_ratio(r.speedup_vs_onehot_blas),
               optional_ratio(r.speedup_vs_onehot), peak_column(r), ms(r.first_touch_ms)});
  std::fputs(table.str().c_str(), stdout);
  for (const std::string& note : report.notes) std::printf("note: %s\n", note.c_str());
  std::printf(
      "ratio = median / the same buffer's limit measured in the same run (memset for writes, z += 1 loop for "
      "accumulate, one read of G for the backward); vs store loop = median / a plain vector-store loop over the "
      "same bytes; GB/s counts output bytes (x2 when accumulating; G's bytes for the backward)\n");

  if (!args.json.empty()) {
    const io::Overwrite overwrite = args.force ? io::Overwrite::allow : io::Overwrite::refuse;
    io::write_atomically(args.json, overwrite, [&](const std::filesystem::path& temporary) {
      std::ofstream out(temporary, std::ios::binary);
      out << bench::to_json_text(report);
      out.close();
      if (!out) throw InputError(fmt::format("{}: cannot be written", args.json));
    });
    std::printf("wrote %s (%zu records)\n", args.json.c_str(), report.records.size());
  }
  return kExitOk;
}

}  // namespace

void register_bench(CLI::App& root, Commands& commands) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* app = root.add_subcommand(
      "bench", "Time every backend against the same-run physical limit, and measure its peak memory");
  app->add_option("--backend", args->backends, "backends, comma-separated (default: every available one)")
      ->delimiter(',');
  app->add_option("--n", args->plan.sizes, "token counts N, comma-separated (1..4096; default 256,512,1024,2048)")
      ->delimiter(',');
  app->add_option("--modes", args->modes,
                  "fp32, bf16, bf16-autocast, accumulate (comma-separated; default fp32, bf16, accumulate)")
      ->delimiter(',')
      ->check(CLI::IsMember({"fp32", "bf16", "bf16-autocast", "accumulate"}));
  app->add_option("--threads", args->plan.threads, "CPU thread counts, comma-separated (default: 1 and all cores)")
      ->delimiter(',');
  app->add_option("--reps", args->plan.reps, "timed repetitions per measurement (default 7)");
  app->add_option("--max-n-onehot", args->plan.max_n_onehot,
                  "largest N for the sequential onehot reference (default 512: it takes seconds there, N^2 beyond)");
  app->add_option("--max-n-blas", args->plan.max_n_blas, "largest N for onehot-blas (default 2048)");
  app->add_option("--time-budget", args->plan.time_budget_s,
                  "seconds per measurement after which no new repetition starts (default 30)");
  app->add_flag("--no-memory", args->no_memory, "skip the peak-memory measurement in child processes");
  app->add_option("--c-z", args->plan.config.c_z, "pair channels (default 128)");
  app->add_option("--r-max", args->plan.config.r_max, "residue/token clip (default 32)");
  app->add_option("--s-max", args->plan.config.s_max, "chain clip (default 2)");
  app->add_option("--variant", args->variant, "af3 (default) or paper")->check(CLI::IsMember({"af3", "paper"}));
  app->add_option("--direction", args->directions,
                  "forward (default), backward, or forward,backward: the backward times each backend's weight "
                  "gradient (fp32) against one read of G in the same run; records carry their direction")
      ->delimiter(',')
      ->check(CLI::IsMember({"forward", "backward"}));
  app->add_option("--cyclic", args->cyclic,
                  "none (default), boltz, or none,boltz: every mode on the linear layout and/or with its cyclic chain "
                  "(Boltz offsets; records named MODE+cyclic)")
      ->delimiter(',')
      ->check(CLI::IsMember({"none", "boltz"}));
  app->add_option("--chunk-rows", args->plan.chunk_rows, "onehot: pair rows materialised per block (default 65536)");
  app->add_option("--streaming", args->streaming, "cpu stores: auto (default: regular), always (non-temporal), never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  app->add_option("--seed", args->plan.seed, "synthetic weight seed (default 1)");
  app->add_option("--json", args->json, "also write the records as JSON (schema relpos-bench/1)");
  app->add_flag("--force", args->force, "replace --json if it exists");
  commands.push_back({app, [args] { return run_bench_command(*args); }});
}

}  // namespace relpos::cli
