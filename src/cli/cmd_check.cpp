#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/verification.hpp"
#include "relpos/errors.hpp"

namespace relpos::cli {
namespace {

struct CheckArgs {
  std::string fixtures;
  BackendOptions options;
};

}  // namespace

void register_check(CLI::App& root, Commands& commands) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* app = root.add_subcommand("check", "The CI gate: every fixture with every available backend");
  app->add_option("--fixtures", args->fixtures, "fixture directory (default: the source tree's fixtures/)");
  add_backend_options(*app, args->options);
  commands.push_back({app, [args] {
                        const std::filesystem::path directory =
                            args->fixtures.empty() ? default_fixture_dir() : std::filesystem::path(args->fixtures);
                        const auto files = find_fixtures(directory);
                        if (files.empty()) throw InputError(fmt::format("{}: no *.h5 fixtures", directory.string()));
                        std::printf("== fixtures: %zu file(s) under %s\n", files.size(), directory.string().c_str());
                        const VerificationOutcome outcome =
                            verify_files(files, select_backends({}), args->options, std::nullopt);
                        const int code = outcome.exit_code();
                        std::printf("\ncheck: %s\n", code == kExitOk ? "PASS" : "FAIL");
                        return code;
                      }});
}

}  // namespace relpos::cli
