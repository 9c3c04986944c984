#include "relpos/harness/report.hpp"

#include <fmt/format.h>

#include "relpos/harness/case_json.hpp"
#include "relpos/harness/show.hpp"

namespace relpos::harness {

std::string_view to_string(PropertyResult::Status status) {
  switch (status) {
    case PropertyResult::Status::passed: return "pass";
    case PropertyResult::Status::failed: return "FAIL";
    case PropertyResult::Status::skipped: return "skip";
  }
  return "?";
}

bool Report::passed() const {
  if (!ran()) return false;
  for (const ReplayResult& replay : replays)
    if (!replay.passed) return false;
  for (const PropertyResult& result : properties)
    if (result.status == PropertyResult::Status::failed) return false;
  return true;
}

int Report::cases() const {
  int total = 0;
  for (const PropertyResult& result : properties) total += result.cases;
  return total;
}

double rate(std::int64_t cases, double seconds) { return seconds > 0 ? static_cast<double>(cases) / seconds : 0.0; }

const PropertyResult* Report::first_failure() const {
  for (const PropertyResult& result : properties)
    if (result.status == PropertyResult::Status::failed) return &result;
  return nullptr;
}

namespace {

std::string first_line(std::string_view text) { return std::string(text.substr(0, text.find('\n'))); }

std::string plural(int count, std::string_view word) {
  return fmt::format("{} {}{}", count, word, count == 1 ? "" : "s");
}

}  // namespace

std::string Report::failures() const {
  std::string text;
  // The shrunk counterexamples lead: they are what a reader acts on.
  for (const PropertyResult& result : properties) {
    if (result.status != PropertyResult::Status::failed) continue;
    text += fmt::format("{} FAILED after {} (seed {:#x})", to_string(result.property), plural(result.cases, "case"),
                        result.seed);
    if (result.counterexample) {
      const Counterexample& cx = *result.counterexample;
      text += fmt::format("; shrunk counterexample: {} after {}\n{}{}\n", plural(cx.value.total_tokens(), "token"),
                          plural(cx.shrink_steps, "shrink step"), describe(cx.value), cx.report);
      if (!cx.recorded.empty()) text += fmt::format("saved as {}\n", cx.recorded.string());
    } else {
      text += fmt::format(": {}\n", result.error);
    }
  }
  // Saved cases are known failures: one line each (their files hold the rest).
  for (const ReplayResult& replay : replays)
    if (!replay.passed)
      text += fmt::format("saved case {} fails {}: {}\n", replay.file.string(), to_string(replay.property),
                          first_line(replay.report));
  return text;
}

std::string Report::text(bool with_coverage_table) const {
  if (!ran()) return fmt::format("{}: not run: {}\n", implementation, unavailable);
  std::string out = fmt::format("{}: policy {}, scope {}, seed {:#x}{}, {} cases per property, max size {}\n",
                                implementation, policy, options.scope.describe(), options.seed,
                                options.shard.total > 1 ? fmt::format(" (shard {}/{})", options.shard.index,
                                                                      options.shard.total)
                                                        : std::string(),
                                options.cases, options.max_size);
  // A failing run leads with its counterexample; the table follows.
  const std::string failed = failures();
  if (!failed.empty()) out += failed + "\n";
  if (!replays.empty()) {
    std::size_t failed_replays = 0;
    for (const ReplayResult& replay : replays) failed_replays += !replay.passed;
    out += fmt::format("  saved regression cases replayed: {} checks, {} failed\n", replays.size(), failed_replays);
  }
  out += fmt::format("  {:<16}{:>7}  {:<6}{:>10}{:>10}\n", "property", "cases", "result", "time", "cases/s");
  for (const PropertyResult& result : properties) {
    if (result.status == PropertyResult::Status::skipped) {
      out += fmt::format("  {:<16}{:>7}  {:<6}{:>10}{:>10}  ({})\n", to_string(result.property), "-", "skip", "-", "-",
                         result.skip_reason);
      continue;
    }
    std::string note;
    if (result.counterexample)
      note = "  shrunk to " + plural(static_cast<int>(result.counterexample->value.total_tokens()), "token");
    out += fmt::format("  {:<16}{:>7}  {:<6}{:>8.2f} s{:>10.0f}{}\n", to_string(result.property), result.cases,
                       to_string(result.status), result.seconds, rate(result.cases, result.seconds), note);
  }
  out += with_coverage_table ? coverage.table() : "  coverage: " + coverage.summary() + "\n";
  if (!with_coverage_table && !coverage.complete() && coverage.cases() > 0) {
    const std::vector<std::string> names = coverage.missing();
    std::string missing;
    for (std::size_t k = 0; k < std::min<std::size_t>(names.size(), 6); ++k) missing += (k ? ", " : "") + names[k];
    if (names.size() > 6) missing += fmt::format(", ... ({} in all)", names.size());
    out += "  never hit: " + missing + "\n";
  }
  out += fmt::format("  {}: {} cases in {:.2f} s ({:.0f} cases/s)\n", passed() ? "PASS" : "FAIL", cases(), seconds,
                     rate(cases(), seconds));
  return out;
}

nlohmann::json to_json(const Report& report) {
  using json = nlohmann::json;
  json properties = json::array();
  for (const PropertyResult& result : report.properties) {
    json entry = {{"property", std::string(to_string(result.property))},
                  {"law", std::string(describe(result.property))},
                  {"status", result.status == PropertyResult::Status::passed   ? "passed"
                             : result.status == PropertyResult::Status::failed ? "failed"
                                                                               : "skipped"},
                  {"cases", result.cases},
                  {"seed", result.seed},
                  {"seconds", result.seconds}};
    if (!result.skip_reason.empty()) entry["skip_reason"] = result.skip_reason;
    if (!result.error.empty()) entry["error"] = result.error;
    if (result.counterexample) {
      const Counterexample& cx = *result.counterexample;
      entry["counterexample"] = {{"tokens", cx.value.total_tokens()},
                                 {"shrink_steps", cx.shrink_steps},
                                 {"report", cx.report},
                                 {"case", case_to_json(cx.value)}};
      if (!cx.recorded.empty()) entry["counterexample"]["recorded"] = cx.recorded.string();
    }
    properties.push_back(entry);
  }
  json replays = json::array();
  for (const ReplayResult& replay : report.replays) {
    json entry = {{"file", replay.file.string()},
                  {"property", std::string(to_string(replay.property))},
                  {"passed", replay.passed}};
    if (!replay.passed) entry["report"] = replay.report;
    replays.push_back(entry);
  }
  json columns = json::object();
  for (const Coverage::Label& label : report.coverage.columns()) columns[label.name] = label.hits;
  json boundaries = json::object();
  for (const Coverage::Label& label : report.coverage.boundaries()) boundaries[label.name] = label.hits;
  json result = {{"implementation", report.implementation},
                 {"ran", report.ran()},
                 {"passed", report.passed()},
                 {"policy", report.policy},
                 {"scope", report.options.scope.describe()},
                 {"seed", report.options.seed},
                 {"shard", {{"index", report.options.shard.index}, {"total", report.options.shard.total}}},
                 {"cases_per_property", report.options.cases},
                 {"max_size", report.options.max_size},
                 {"cases", report.cases()},
                 {"seconds", report.seconds},
                 {"cases_per_second", rate(report.cases(), report.seconds)},
                 {"replays", replays},
                 {"properties", properties},
                 {"coverage",
                  {{"cases", report.coverage.cases()},
                   {"pairs", report.coverage.pairs()},
                   {"complete", report.coverage.complete()},
                   {"missing", report.coverage.missing()},
                   {"columns", columns},
                   {"boundaries", boundaries}}}};
  if (!report.ran()) result["unavailable"] = report.unavailable;
  return result;
}

}  // namespace relpos::harness
