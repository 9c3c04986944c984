#include "cli/cli_common.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "relpos/backends/registry.hpp"
#include "relpos/errors.hpp"

namespace relpos::cli {

void add_backend_options(CLI::App& app, BackendOptions& options) {
  app.add_option("--threads", options.threads, "CPU lookup threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  app.add_option("--chunk-rows", options.chunk_rows, "onehot: pair rows materialised per block")
      ->check(CLI::PositiveNumber);
}

std::vector<std::string> select_backends(const std::vector<std::string>& requested) {
  std::vector<std::string> names;
  const bool all = requested.empty() || std::find(requested.begin(), requested.end(), "all") != requested.end();
  if (all) {
    for (std::string_view name : backend_names())
      if (make_backend(name)->availability().available) names.emplace_back(name);
    return names;
  }
  for (const std::string& name : requested) {
    make_backend(name);  // throws InputError for an unknown name
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

std::filesystem::path default_fixture_dir() {
  if (const char* env = std::getenv("RELPOS_FIXTURES"); env != nullptr && *env != '\0') return env;
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    const std::filesystem::path beside = self.parent_path().parent_path() / "fixtures";
    if (std::filesystem::is_directory(beside, error)) return beside;
  }
  return "fixtures";
}

std::vector<std::filesystem::path> find_fixtures(const std::filesystem::path& directory) {
  std::error_code error;
  if (!std::filesystem::is_directory(directory, error))
    throw InputError(fmt::format("{}: no such fixture directory", directory.string()));
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(directory))
    if (entry.is_regular_file() && entry.path().extension() == ".h5") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string Table::str() const {
  std::vector<std::size_t> widths;
  for (const auto& row : rows_)
    for (std::size_t k = 0; k < row.size(); ++k) {
      if (widths.size() <= k) widths.push_back(0);
      widths[k] = std::max(widths[k], row[k].size());
    }
  std::string text;
  for (std::size_t r = 0; r < rows_.size(); ++r) {
    std::string line;
    for (std::size_t k = 0; k < rows_[r].size(); ++k)
      line += fmt::format("{:<{}}", rows_[r][k], k + 1 < rows_[r].size() ? widths[k] + 2 : 0);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    text += line + "\n";
    if (r == 0) {
      std::size_t total = 0;
      for (std::size_t w : widths) total += w + 2;
      text += std::string(total > 2 ? total - 2 : 0, '-') + "\n";
    }
  }
  return text;
}

std::string format_seconds(double seconds) {
  if (seconds < 1e-3) return fmt::format("{:.0f} us", seconds * 1e6);
  if (seconds < 1) return fmt::format("{:.1f} ms", seconds * 1e3);
  return fmt::format("{:.2f} s", seconds);
}

}  // namespace relpos::cli
