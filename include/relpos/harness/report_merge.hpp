#pragma once
// One verdict from the `prove --json` reports of a sharded campaign: every
// shard of one run (same implementation, scope, seed, budget), each once.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace relpos::harness {

struct ShardReport {
  std::filesystem::path file;  ///< named in every error about it
  nlohmann::json report;       ///< as `relpos prove --json` prints it
};

struct MergedReport {
  nlohmann::json json;  ///< the prove --json schema, "shard": {"merged": [...], "total": N}
  bool passed = false;
  std::string text;     ///< counterexamples first, then the table, coverage and verdict
};

/// Throws InputError naming the file for a report that is not a prove --json
/// report, that belongs to another run, repeats a shard, or when a shard of
/// the run is missing.
MergedReport merge_reports(const std::vector<ShardReport>& shards);

}  // namespace relpos::harness
