#include "relpos/harness/regression.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "relpos/errors.hpp"
#include "relpos/harness/case_json.hpp"
#include "relpos/io/fixture.hpp"
#include "relpos/io/atomic_file.hpp"
#include "relpos/io/hdf5_file.hpp"

namespace relpos::harness {
namespace {

std::string file_stem_part(std::string_view text) {
  std::string out;
  for (char ch : text) out += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-') ? ch : '-';
  while (out.find("--") != std::string::npos) out.erase(out.find("--"), 1);
  if (!out.empty() && out.front() == '-') out.erase(0, 1);
  if (!out.empty() && out.back() == '-') out.pop_back();
  return out.substr(0, 48);
}

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char ch : text) hash = (hash ^ ch) * 0x100000001b3ull;
  return hash;
}

}  // namespace

bool recording_enabled() {
  const char* record = std::getenv("RELPOS_RECORD_REGRESSIONS");
  const char* ci = std::getenv("CI");
  return record != nullptr && std::string_view(record) == "1" && (ci == nullptr || *ci == '\0');
}

std::filesystem::path save_regression(const std::filesystem::path& directory, const RegressionCase& regression) {
  const nlohmann::json value = case_to_json(regression.value);
  const nlohmann::json document = {
      {"format", kRegressionFormat},
      {"version", kRegressionVersion},
      {"property", std::string(to_string(regression.property))},
      {"found_by", regression.found_by},
      {"recorded_with", regression.recorded_with.empty() ? generator_string() : regression.recorded_with},
      {"report", regression.report},
      {"case", value},
  };
  const std::string name = fmt::format("{}-{}-{:08x}.json", to_string(regression.property),
                                       file_stem_part(regression.found_by), fnv1a(value.dump()) & 0xffffffffu);
  std::filesystem::create_directories(directory);
  const std::filesystem::path path = directory / name;
  if (std::filesystem::exists(path)) return path;  // the same case (same hash) is already saved
  io::write_atomically(path, io::Overwrite::allow, [&](const std::filesystem::path& temporary) {
    std::ofstream out(temporary);
    out << document.dump(1) << "\n";
    if (!out) throw RuntimeFailure(fmt::format("{}: cannot write", temporary.string()));
  });
  return path;
}

RegressionCase load_regression(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw InputError(fmt::format("{}: cannot open", file.string()));
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: not valid JSON: {}", file.string(), e.what()));
  }
  const std::string where = file.string();
  if (!document.is_object() || !document.contains("format") || !document["format"].is_string() ||
      document["format"].get<std::string>() != kRegressionFormat)
    throw InputError(fmt::format("{}: not a {} file", where, kRegressionFormat));
  try {
    if (document.value("version", 0) != kRegressionVersion)
      throw InputError(fmt::format("{}: version {} is not supported (this reader reads {})", where,
                                   document.value("version", 0), kRegressionVersion));
    RegressionCase regression;
    regression.file = file;
    try {
      regression.property = parse_property(document.value("property", ""));
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", where, e.what()));
    }
    regression.found_by = document.value("found_by", "");
    regression.recorded_with = document.value("recorded_with", "");
    regression.report = document.value("report", "");
    if (!document.contains("case")) throw InputError(fmt::format("{}: missing field 'case'", where));
    regression.value = case_from_json(document.at("case"), where);
    return regression;
  } catch (const nlohmann::json::exception& e) {
    // A field of the wrong type (e.g. "version": "1"): name the file, not just the JSON library's complaint.
    throw InputError(fmt::format("{}: malformed {} file: {}", where, kRegressionFormat, e.what()));
  }
}

std::vector<RegressionCase> load_regressions(const std::filesystem::path& directory) {
  std::vector<RegressionCase> cases;
  std::error_code error;
  if (!std::filesystem::is_directory(directory, error)) return cases;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory))
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) cases.push_back(load_regression(file));
  return cases;
}

}  // namespace relpos::harness
