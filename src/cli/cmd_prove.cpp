#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "relpos/backends/registry.hpp"
#include "cli/progress_line.hpp"
#include "cli/property_runs.hpp"
#include "relpos/errors.hpp"
#include "relpos/harness/candidate.hpp"
#include "relpos/harness/prove.hpp"

namespace relpos::cli {
namespace {

struct ProveArgs {
  std::string backend;
  std::string candidate_command;
  double timeout = 60;
  bool keep_files = false;
  bool json = false;
  bool coverage_table = false;
  bool int32_ids = false;
  bool backward = false;
  BackendOptions options;
  SuiteArgs suite;
};

}  // namespace

void register_prove(CLI::App& root, Commands& commands) {
  auto args = std::make_shared<ProveArgs>();
  CLI::App* app = root.add_subcommand(
      "prove", "Run the property suite (generated cases, shrunk counterexamples) on a backend or an external candidate");
  app->add_option("--backend", args->backend, fmt::format("a backend: {}", backend_list()));
  app->add_option("--candidate-cmd", args->candidate_command,
                  "an external program speaking the line protocol of docs/candidate-protocol.md (run with /bin/sh -c)");
  app->add_option("--timeout", args->timeout, "candidate: seconds allowed per case (default 60)")
      ->check(CLI::PositiveNumber);
  app->add_flag("--keep-files", args->keep_files, "candidate: keep the input and output file of every case");
  app->add_flag("--json", args->json, "print the report as JSON");
  app->add_flag("--coverage", args->coverage_table, "print the full coverage distribution");
  app->add_flag("--int32-ids", args->int32_ids,
                "generate only ids that fit int32 (AF3 / OpenFold3 style); a candidate gets int32 id datasets");
  app->add_flag("--backward", args->backward,
                "prove the weight gradient (the grad-* properties only; a candidate gets inputs with "
                "/inputs/grad_output and answers /expected/grad_weight)");
  add_backend_options(*app, args->options);
  add_suite_options(*app, args->suite, harness::kCiCases);
  commands.push_back({app, [args] {
                        if (args->backend.empty() == args->candidate_command.empty())
                          throw InputError("prove: give exactly one of --backend NAME and --candidate-cmd \"CMD\"");
                        harness::ProveOptions options = suite_options(args->suite, harness::kCiCases);
                        options.limits.int32_ids = args->int32_ids;
                        if (args->backward && options.properties.empty())
                          for (harness::Property p : harness::all_properties())
                            if (harness::is_gradient_property(p)) options.properties.push_back(p);
                        harness::Implementation impl;
                        if (!args->backend.empty()) {
                          impl = harness::backend_implementation(args->backend, args->options);
                          if (!impl.unavailable.empty())
                            throw InputError(fmt::format("backend {} cannot run here: {}", args->backend, impl.unavailable));
                          if (args->backward && !impl.backward)
                            throw InputError(fmt::format("--backward: backend {} has no backward", args->backend));
                        } else {
                          harness::CandidateOptions candidate;
                          candidate.command = args->candidate_command;
                          candidate.timeout_seconds = args->timeout;
                          candidate.keep_files = args->keep_files;
                          candidate.exact_order = options.policy && options.policy->kind == Policy::Kind::bitwise;
                          candidate.int32_ids = args->int32_ids;
                          candidate.model = options.scope.model;
                          candidate.backward = args->backward;
                          impl = harness::candidate_implementation(candidate);
                        }
                        if (!args->json) {
                          std::printf("prove %s: seed %#llx%s, %d cases per property, %zu saved case(s) to replay\n",
                                      impl.name.c_str(), static_cast<unsigned long long>(options.seed),
                                      shard_text(options.shard).c_str(), options.cases, options.regressions.size());
                          std::fflush(stdout);
                        }
                        ProgressLine progress(args->suite.progress);
                        options.progress = progress.callback();
                        const harness::Report report = harness::prove(impl, options);
                        progress.clear();
                        if (args->json)
                          std::printf("%s\n", harness::to_json(report).dump(2).c_str());
                        else
                          std::printf("\n%s", report.text(args->coverage_table).c_str());
                        return report.passed() ? kExitOk : kExitMismatch;
                      }});
}

}  // namespace relpos::cli
