#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "relpos/backends/registry.hpp"
#include "relpos/errors.hpp"
#include "relpos/io/verify.hpp"

namespace relpos::cli {
namespace {

struct ComputeArgs {
  std::string input;
  std::string out;
  std::string backend;  ///< empty: default_backend_name()
  std::string dtype = "fp32";
  bool force = false;
  BackendOptions options;
};

int run_compute(const ComputeArgs& args) {
  const Precision precision = parse_precision(args.dtype);
  Fixture fixture = read_fixture(args.input, {.require_expected = false});
  const std::string name = args.backend.empty() ? default_backend_name() : args.backend;
  const auto backend = make_backend(name, args.options);
  const Availability availability = backend->availability();
  if (!availability.available)
    throw InputError(fmt::format("backend {} is not available here: {}", name, availability.detail));
  fixture.meta.config.precision = precision;
  fixture.expected = compute_in_precision(*backend, fixture.problem());
  fixture.meta.policy = policy_for_backend(fixture.meta.policy, backend->exact_order(), precision);
  fixture.meta.generator = fmt::format("{} (compute --backend {})", generator_string(), name);
  write_fixture(args.out, fixture, {.overwrite = args.force});
  std::printf("wrote %s: [%lld, %lld, %lld, %d] %s from backend %s\n", args.out.c_str(),
              static_cast<long long>(fixture.layout.batch()), static_cast<long long>(fixture.layout.tokens()),
              static_cast<long long>(fixture.layout.tokens()), fixture.meta.config.c_z, args.dtype.c_str(),
              name.c_str());
  return kExitOk;
}

}  // namespace

void register_compute(CLI::App& root, Commands& commands) {
  auto args = std::make_shared<ComputeArgs>();
  CLI::App* app = root.add_subcommand("compute", "Compute the pair tensor of a fixture file's inputs with one backend");
  app->add_option("--input", args->input, "fixture file (v1 or v2) with /inputs and /weights")->required();
  app->add_option("--out", args->out, "fixture file to write (refuses to overwrite without --force)")->required();
  app->add_option("--backend", args->backend,
                  fmt::format("{} (default {})", backend_list(), default_backend_name()));
  app->add_option("--dtype", args->dtype, "precision regime of the output: fp32 (default), bf16 or bf16-autocast")
      ->check(CLI::IsMember({"fp32", "bf16", "bf16-autocast"}));
  app->add_flag("--force", args->force, "replace --out if it exists");
  add_backend_options(*app, args->options);
  commands.push_back({app, [args] { return run_compute(*args); }});
}

}  // namespace relpos::cli
