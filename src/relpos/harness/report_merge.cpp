#include "relpos/harness/report_merge.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "relpos/errors.hpp"
#include "relpos/harness/case_json.hpp"
#include "relpos/harness/report.hpp"
#include "relpos/harness/show.hpp"

namespace relpos::harness {
namespace {

using json = nlohmann::json;

// The fields every shard of one run shares (a report with another value is from another run), with their types.
constexpr std::pair<const char*, nlohmann::json::value_t> kRunFields[] = {
    {"implementation", nlohmann::json::value_t::string}, {"policy", nlohmann::json::value_t::string},
    {"scope", nlohmann::json::value_t::string},          {"seed", nlohmann::json::value_t::number_unsigned},
    {"cases_per_property", nlohmann::json::value_t::number_integer},
    {"max_size", nlohmann::json::value_t::number_integer}};

const json& field(const ShardReport& shard, const char* name, json::value_t type) {
  const json& report = shard.report;
  if (!report.is_object() || !report.contains(name))
    throw InputError(fmt::format("{}: not a `relpos prove --json` report (no '{}')", shard.file.string(), name));
  const json& value = report.at(name);
  const bool numeric = type == json::value_t::number_unsigned || type == json::value_t::number_integer;
  if (numeric ? !value.is_number_integer() : value.type() != type)
    throw InputError(fmt::format("{}: '{}' has the wrong type ({})", shard.file.string(), name, value.type_name()));
  return value;
}

// Checks that every report is one shard of the same run, each once, none missing.
void check_one_run(const std::vector<ShardReport>& shards) {
  if (shards.empty()) throw InputError("report merge: give at least one report");
  std::set<std::int64_t> seen;
  std::int64_t total = 0;
  for (const ShardReport& shard : shards) {
    for (const char* name : {"properties", "replays"}) field(shard, name, json::value_t::array);
    field(shard, "coverage", json::value_t::object);
    const json& slice = field(shard, "shard", json::value_t::object);
    if (!slice.contains("index") || !slice.contains("total") || !slice["index"].is_number_integer() ||
        !slice["total"].is_number_integer())
      throw InputError(fmt::format("{}: 'shard' must hold integer 'index' and 'total'", shard.file.string()));
    const std::int64_t index = slice["index"], this_total = slice["total"];
    if (&shard == &shards.front()) total = this_total;
    for (const auto& [name, type] : kRunFields)
      if (field(shard, name, type) != field(shards.front(), name, type))
        throw InputError(fmt::format("{}: '{}' differs from {} ({} vs {}): reports of different runs",
                                     shard.file.string(), name, shards.front().file.string(),
                                     shard.report.at(name).dump(), shards.front().report.at(name).dump()));
    for (const json& entry : shard.report.at("properties"))
      if (!entry.is_object() || !entry.contains("property") || !entry["property"].is_string() ||
          !entry.contains("status") || !entry["status"].is_string() || !entry.contains("cases") ||
          !entry["cases"].is_number_integer())
        throw InputError(fmt::format("{}: a 'properties' entry is not {{property, status, cases, ...}}: {}",
                                     shard.file.string(), entry.dump().substr(0, 120)));
    for (const char* name : {"cases", "seconds"})
      if (!shard.report.contains(name) || !shard.report.at(name).is_number())
        throw InputError(fmt::format("{}: '{}' is missing or not a number", shard.file.string(), name));
    if (this_total != total)
      throw InputError(fmt::format("{}: shard total {} differs from {}'s {}", shard.file.string(), this_total,
                                   shards.front().file.string(), total));
    if (!seen.insert(index).second)
      throw InputError(fmt::format("{}: shard {}/{} is given twice", shard.file.string(), index, total));
  }
  std::vector<std::string> missing;
  for (std::int64_t k = 0; k < total; ++k)
    if (!seen.count(k)) missing.push_back(fmt::format("{}/{}", k, total));
  if (!missing.empty())
    throw InputError(fmt::format("report merge: shard{} {} missing: a campaign is proven only by all of its shards",
                                 missing.size() == 1 ? "" : "s", fmt::format("{}", fmt::join(missing, ", "))));
}

// Per property: cases and seconds add up; failed if any shard failed, skipped only if every shard skipped.
json merge_properties(const std::vector<ShardReport>& shards) {
  std::vector<std::string> order;
  std::map<std::string, json> merged;
  for (const ShardReport& shard : shards) {
    const std::int64_t index = shard.report["shard"]["index"];
    for (const json& entry : shard.report["properties"]) {
      const std::string name = entry.value("property", "");
      if (!merged.count(name)) {
        order.push_back(name);
        merged[name] = {{"property", name}, {"law", entry.value("law", "")}, {"status", "skipped"},
                        {"cases", 0}, {"seconds", 0.0}, {"counterexamples", json::array()}};
      }
      json& into = merged[name];
      const std::string status = entry.value("status", "");
      if (status == "failed" || (status == "passed" && into["status"] == "skipped")) into["status"] = status;
      if (status == "skipped" && entry.contains("skip_reason")) into["skip_reason"] = entry["skip_reason"];
      into["cases"] = into["cases"].get<std::int64_t>() + entry.value("cases", std::int64_t{0});
      into["seconds"] = into["seconds"].get<double>() + entry.value("seconds", 0.0);
      if (entry.contains("counterexample")) into["counterexamples"].push_back(json{{"shard", index}, {"seed", entry.value("seed", 0ull)}, {"counterexample", entry["counterexample"]}});
      if (entry.contains("error")) into["error"] = entry["error"];
    }
  }
  json properties = json::array();
  for (const std::string& name : order) properties.push_back(merged[name]);
  return properties;
}

// Hits add up per label; complete when every label was hit in some shard.
json merge_coverage(const std::vector<ShardReport>& shards) {
  json columns = json::object(), boundaries = json::object();
  std::int64_t cases = 0, pairs = 0;
  for (const ShardReport& shard : shards) {
    const json& coverage = shard.report["coverage"];
    cases += coverage.value("cases", std::int64_t{0});
    pairs += coverage.value("pairs", std::int64_t{0});
    for (const auto& [into, name] : {std::pair{&columns, "columns"}, std::pair{&boundaries, "boundaries"}}) {
      const json labels = coverage.value(name, json::object());
      if (!labels.is_object()) throw InputError(fmt::format("{}: coverage '{}' is not an object", shard.file.string(), name));
      for (const auto& [label, hits] : labels.items()) {
        if (!hits.is_number_integer())
          throw InputError(fmt::format("{}: coverage label '{}' has no hit count", shard.file.string(), label));
        (*into)[label] = into->value(label, std::int64_t{0}) + hits.get<std::int64_t>();
      }
    }
  }
  json missing = json::array();
  for (const json* labels : {&columns, &boundaries})
    for (const auto& [label, hits] : labels->items())
      if (hits.get<std::int64_t>() == 0) missing.push_back(label);
  return {{"cases", cases}, {"pairs", pairs}, {"complete", missing.empty()}, {"missing", missing},
          {"columns", columns}, {"boundaries", boundaries}};
}

std::string counterexample_text(const json& property, const std::filesystem::path& file) {
  std::string text;
  for (const json& found : property["counterexamples"]) {
    const json& cx = found["counterexample"];
    text += fmt::format("{} FAILED in shard {} (seed {:#x}); shrunk counterexample: {} tokens\n",
                        property["property"].get<std::string>(), found["shard"].get<std::int64_t>(),
                        found["seed"].get<std::uint64_t>(), cx.value("tokens", std::int64_t{0}));
    if (cx.contains("case")) text += describe(case_from_json(cx["case"], file.string() + ": counterexample"));
    text += cx.value("report", "") + "\n";
  }
  return text;
}

std::string merged_text(const json& merged, const std::vector<ShardReport>& shards) {
  std::string text = fmt::format("{}: {} shard reports merged, policy {}, scope {}, seed {:#x}, {} cases per property\n",
                                 merged["implementation"].get<std::string>(), shards.size(),
                                 merged["policy"].get<std::string>(), merged["scope"].get<std::string>(),
                                 merged["seed"].get<std::uint64_t>(), merged["cases_per_property"].get<std::int64_t>());
  for (const json& property : merged["properties"]) text += counterexample_text(property, shards.front().file);
  std::size_t failed_replays = 0;
  for (const json& replay : merged["replays"])
    if (!replay.value("passed", true)) {
      ++failed_replays;
      text += fmt::format("saved case {} fails {}\n", replay.value("file", ""), replay.value("property", ""));
    }
  text += fmt::format("  saved regression cases replayed: {} checks, {} failed\n", merged["replays"].size(),
                      failed_replays);
  text += fmt::format("  {:<16}{:>8}  {:<7}{:>10}\n", "property", "cases", "result", "time");
  for (const json& property : merged["properties"])
    text += fmt::format("  {:<16}{:>8}  {:<7}{:>8.2f} s\n", property["property"].get<std::string>(),
                        property["cases"].get<std::int64_t>(), property["status"].get<std::string>(),
                        property["seconds"].get<double>());
  const json& coverage = merged["coverage"];
  text += fmt::format("  coverage: {} cases, {} of {} labels hit{}\n", coverage["cases"].get<std::int64_t>(),
                      coverage["columns"].size() + coverage["boundaries"].size() - coverage["missing"].size(),
                      coverage["columns"].size() + coverage["boundaries"].size(),
                      coverage["complete"].get<bool>() ? "" : " (INCOMPLETE)");
  text += fmt::format("  {}: {} cases over {} shards\n", merged["passed"].get<bool>() ? "PASS" : "FAIL",
                      merged["cases"].get<std::int64_t>(), shards.size());
  return text;
}

MergedReport merge_checked(const std::vector<ShardReport>& shards);

}  // namespace

MergedReport merge_reports(const std::vector<ShardReport>& shards) {
  check_one_run(shards);
  try {
    return merge_checked(shards);
  } catch (const json::exception& e) {
    // Whatever the checks above did not foresee is still one line naming the problem, not a crash.
    throw InputError(fmt::format("report merge: a report is malformed: {}", e.what()));
  }
}

namespace {

MergedReport merge_checked(const std::vector<ShardReport>& shards) {
  json merged = shards.front().report;
  merged["properties"] = merge_properties(shards);
  merged["coverage"] = merge_coverage(shards);
  json replays = json::array(), indices = json::array();
  std::int64_t cases = 0;
  double seconds = 0;
  bool passed = true;
  for (const ShardReport& shard : shards) {
    for (const json& replay : shard.report["replays"]) replays.push_back(replay);
    indices.push_back(shard.report["shard"]["index"]);
    cases += shard.report.value("cases", std::int64_t{0});
    seconds += shard.report.value("seconds", 0.0);
    passed = passed && shard.report.value("passed", false) && shard.report.value("ran", false);
  }
  std::sort(indices.begin(), indices.end());
  merged["replays"] = replays;
  merged["shard"] = {{"merged", indices}, {"total", shards.front().report["shard"]["total"]}};
  merged["cases"] = cases;
  merged["seconds"] = seconds;
  merged["cases_per_second"] = rate(cases, seconds);
  merged["passed"] = passed;
  return {merged, passed, merged_text(merged, shards)};
}

}  // namespace
}  // namespace relpos::harness
