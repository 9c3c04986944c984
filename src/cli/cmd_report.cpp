// relpos report merge: one verdict from the --json reports of a sharded campaign.
#include <cstdio>
#include <fstream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "relpos/errors.hpp"
#include "relpos/harness/report_merge.hpp"

namespace relpos::cli {
namespace {

struct MergeArgs {
  std::vector<std::string> files;
  bool json = false;
};

harness::ShardReport read_report(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw InputError(fmt::format("{}: cannot open", file.string()));
  try {
    return {file, nlohmann::json::parse(in)};
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: not JSON: {}", file.string(), e.what()));
  }
}

int run_merge(const MergeArgs& args) {
  std::vector<harness::ShardReport> shards;
  for (const std::string& file : args.files) shards.push_back(read_report(file));
  const harness::MergedReport merged = harness::merge_reports(shards);
  if (args.json)
    std::printf("%s\n", merged.json.dump(2).c_str());
  else
    std::printf("%s", merged.text.c_str());
  return merged.passed ? kExitOk : kExitMismatch;
}

}  // namespace

void register_report(CLI::App& root, Commands& commands) {
  CLI::App* group = root.add_subcommand("report", "Work with `relpos prove --json` reports");
  group->require_subcommand(1);
  auto args = std::make_shared<MergeArgs>();
  CLI::App* merge = group->add_subcommand(
      "merge", "One verdict from the reports of every shard of a campaign (prove --shard I/N --json): cases, "
               "coverage and counterexamples combined; exit 1 when any shard failed, 2 when a shard is missing, "
               "repeated or from another run");
  merge->add_option("reports", args->files, "the shards' JSON reports")->required();
  merge->add_flag("--json", args->json, "print the merged report as JSON (the prove --json schema)");
  commands.push_back({merge, [args] { return run_merge(*args); }});
}

}  // namespace relpos::cli
