#pragma once
// Pieces the subcommands share: registration, backend selection, tables.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "relpos/backend.hpp"

namespace relpos::cli {

/// A parsed subcommand's action; returns the process exit code.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};
using Commands = std::vector<Command>;

/// --threads and --chunk-rows, bound to `options`.
void add_backend_options(CLI::App& app, BackendOptions& options);

/// Expands "all" (or nothing) to every backend available here; names given
/// explicitly must exist (InputError) and are kept even when unavailable.
std::vector<std::string> select_backends(const std::vector<std::string>& requested);

/// fixtures/ of the source tree: $RELPOS_FIXTURES, else <dir of relpos>/../fixtures, else ./fixtures.
std::filesystem::path default_fixture_dir();
/// Every *.h5 below `directory`, sorted.
std::vector<std::filesystem::path> find_fixtures(const std::filesystem::path& directory);

/// Left-aligned text table with a header row.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string str() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string format_seconds(double seconds);

}  // namespace relpos::cli
