#pragma once
// How much to run and with which seed. The CI default is a fixed, printed
// seed; RC_PARAMS (seed, max_success, max_size, noshrink) overrides it for
// longer campaigns; GoogleTest's shard variables derive a seed per shard.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "relpos/harness/gen_case.hpp"
#include "relpos/harness/progress.hpp"
#include "relpos/harness/properties.hpp"
#include "relpos/harness/regression.hpp"
#include "relpos/harness/scope.hpp"
#include "relpos/policy.hpp"

namespace relpos::harness {

/// The fixed seed of CI runs (printed by every run).
inline constexpr std::uint64_t kDefaultSeed = 0x5eed2e1a7005ull;
/// Cases per property in the CI budget (the whole ctest property suite stays well under 60 s on 2 cores).
inline constexpr int kCiCases = 100;

/// One of `total` disjoint slices of a campaign: its own seeds (derived from
/// the run's seed, the slice and the property) and every total-th saved case.
struct Shard {
  int index = 0;
  int total = 1;
};

/// "I/N" with 0 <= I < N; throws InputError naming `what` otherwise.
Shard parse_shard(std::string_view text, std::string_view what = "--shard");

struct ProveOptions {
  std::uint64_t seed = kDefaultSeed;
  int cases = kCiCases;  ///< generated cases per property
  int max_size = 100;    ///< RapidCheck size reached by the last case (tokens and chains grow with it)
  bool shrink = true;
  std::vector<Property> properties;  ///< empty: every property that applies
  std::optional<Policy> policy;      ///< empty: bitwise for exact-order implementations, else bound:6 (fp32) / rbound:6 (bf16 regimes)
  Scope scope;                       ///< what the implementation covers; nothing outside it is generated
  Shard shard;
  bool stop_at_first_failure = false;
  CaseLimits limits;
  std::vector<RegressionCase> regressions;  ///< replayed through every property before any generated case
  std::filesystem::path record_directory;   ///< minimal counterexamples go here when recording_enabled()
  ProgressFunction progress;                ///< called after every case and shrink attempt
};

/// `defaults` adjusted by the environment: RC_PARAMS keys seed, max_success,
/// max_size and noshrink; GTEST_SHARD_INDEX / GTEST_TOTAL_SHARDS.
/// Throws InputError for a malformed value.
ProveOptions options_from_environment(ProveOptions defaults);

/// The seed one property runs with: the run's seed mixed with the shard and
/// the property's name, so every implementation sees the same cases.
std::uint64_t property_seed(const ProveOptions& options, Property property);

}  // namespace relpos::harness
