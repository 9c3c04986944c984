#include <algorithm>
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/property_runs.hpp"
#include "relpos/errors.hpp"
#include "relpos/harness/mutants.hpp"

namespace relpos::cli {
namespace {

struct MutantsArgs {
  std::vector<std::string> only;
  bool json = false;
  bool show = false;
  SuiteArgs suite;
};

double median(std::vector<std::int64_t> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 ? double(values[mid]) : (double(values[mid - 1]) + double(values[mid])) / 2;
}

}  // namespace

void register_mutants(CLI::App& root, Commands& commands) {
  auto args = std::make_shared<MutantsArgs>();
  CLI::App* app = root.add_subcommand(
      "mutants", "Prove the suite's power: run it on faulty lookups; each must be killed and shrunk");
  app->add_option("--mutant", args->only, "only these mutants (repeatable)");
  app->add_flag("--json", args->json, "print the results as JSON");
  app->add_flag("--show", args->show, "print each shrunk counterexample");
  add_suite_options(*app, args->suite, harness::kCiCases, false);
  commands.push_back({app, [args] {
                        SuiteArgs suite = args->suite;
                        suite.regressions = "none";
                        harness::ProveOptions options = suite_options(suite, harness::kCiCases);
                        // RELPOS_RECORD_REGRESSIONS=1 saves each mutant's minimal counterexample.
                        options.record_directory = default_regression_dir();
                        std::vector<harness::Mutant> selected;
                        for (harness::Mutant& m : harness::mutants())
                          if (args->only.empty() || std::find(args->only.begin(), args->only.end(), m.name) != args->only.end())
                            selected.push_back(std::move(m));
                        if (selected.empty()) throw InputError("--mutant: no mutant of that name (see relpos mutants)");
                        std::vector<harness::MutantResult> results;
                        std::vector<std::int64_t> sizes;
                        bool all_good = true;
                        for (const harness::Mutant& m : selected) {
                          results.push_back(harness::hunt(m, options));
                          const harness::MutantResult& r = results.back();
                          if (!r.applicable) continue;
                          if (r.killed) sizes.push_back(r.shrunk_tokens);
                          all_good = all_good && r.killed && (!r.survives_bound || r.passed_bound);
                        }
                        if (args->json) {
                          nlohmann::json list = nlohmann::json::array();
                          for (const harness::MutantResult& r : results) {
                            nlohmann::json entry = {{"mutant", r.name},
                                                    {"divergence", r.divergence},
                                                    {"applicable", r.applicable},
                                                    {"killed", r.killed},
                                                    {"cases_until_killed", r.cases_until_killed}};
                            if (r.killed) {
                              entry["killed_by"] = std::string(harness::to_string(r.killed_by));
                              entry["shrunk_tokens"] = r.shrunk_tokens;
                              entry["shrink_steps"] = r.shrink_steps;
                              if (args->show) entry["counterexample"] = r.counterexample;
                            }
                            if (r.survives_bound && r.applicable)
                              entry["bound_6"] = {{"passed", r.passed_bound}, {"cases", r.bound_cases}};
                            list.push_back(entry);
                          }
                          const nlohmann::json document = {{"seed", options.seed},
                                                           {"cases_per_property", options.cases},
                                                           {"mutants", list},
                                                           {"killed", sizes.size()},
                                                           {"median_shrunk_tokens", median(sizes)},
                                                           {"passed", all_good}};
                          std::printf("%s\n", document.dump(2).c_str());
                          return all_good ? kExitOk : kExitMismatch;
                        }
                        std::printf("mutants: seed %#llx, up to %d cases per property, bitwise\n\n",
                                    static_cast<unsigned long long>(options.seed), options.cases);
                        Table table({"mutant", "killed", "by", "cases", "shrunk to", "shrink steps"});
                        for (const harness::MutantResult& r : results)
                          table.add({r.name, !r.applicable ? "n/a" : r.killed ? "yes" : "NO",
                                     r.killed ? std::string(harness::to_string(r.killed_by)) : "-",
                                     std::to_string(r.cases_until_killed),
                                     r.killed ? fmt::format("{} token{}", r.shrunk_tokens, r.shrunk_tokens == 1 ? "" : "s") : "-",
                                     r.killed ? std::to_string(r.shrink_steps) : "-"});
                        std::printf("%s", table.str().c_str());
                        for (const harness::MutantResult& r : results) {
                          if (!r.survives_bound || !r.applicable) continue;
                          std::printf("\n%s under bound:6 (fp32) / rbound:6 (bf16 regimes): %s (%d cases)%s\n",
                                      r.name.c_str(),
                                      r.passed_bound ? "passes, as a reordered sum must" : "FAILS (the policy is wrong)",
                                      r.bound_cases, r.passed_bound ? "" : ("\n" + r.bound_failure).c_str());
                        }
                        const auto outside = std::count_if(results.begin(), results.end(),
                                                           [](const harness::MutantResult& r) { return !r.applicable; });
                        if (outside > 0)
                          std::printf("\nn/a: %td mutant(s) differ only outside the scope (%s) and were not hunted\n",
                                      outside, options.scope.describe().c_str());
                        std::printf("\nmedian shrunk counterexample: %g tokens over %zu killed mutants\n", median(sizes),
                                    sizes.size());
                        if (args->show)
                          for (const harness::MutantResult& r : results)
                            std::printf("\n== %s: %s\n%s", r.name.c_str(), r.divergence.c_str(), r.counterexample.c_str());
                        std::printf("\nmutants: %s\n", all_good ? "PASS (every mutant in scope killed)" : "FAIL");
                        return all_good ? kExitOk : kExitMismatch;
                      }});
}

}  // namespace relpos::cli
