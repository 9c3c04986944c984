// relpos: prove fast relative-position-encoding kernels equal the original.
#include <cstdio>
#include <exception>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "relpos/errors.hpp"
#include "relpos/version.hpp"

int main(int argc, char** argv) {
  using namespace relpos;
  CLI::App app{"relpos: property-based tests and regression fixtures for AlphaFold 3's relative position encoding"};
  app.name("relpos");
  app.set_version_flag("--version", fmt::format("relpos {}", kVersion));
  app.require_subcommand(1);
  cli::Commands commands;
  cli::register_compute(app, commands);
  cli::register_verify(app, commands);
  cli::register_check(app, commands);
  cli::register_backends(app, commands);
  cli::register_bench(app, commands);
  cli::register_memory(app, commands);
  cli::register_prove(app, commands);
  cli::register_mutants(app, commands);
  cli::register_fixtures(app, commands);
  cli::register_report(app, commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "relpos: error: %s (see relpos --help)\n", e.what());
    return kExitBadInput;
  }
  try {
    for (const cli::Command& command : commands)
      if (command.app->parsed()) return command.run();
    return kExitBadInput;
  } catch (const InputError& e) {
    std::fprintf(stderr, "relpos: error: %s\n", e.what());
    return kExitBadInput;
  } catch (const RuntimeFailure& e) {
    std::fprintf(stderr, "relpos: error: %s\n", e.what());
    return kExitBadInput;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "relpos: error: out of memory\n");
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "relpos: internal error: %s\n", e.what());
    return kExitBadInput;
  }
}
