#include "relpos/harness/prove_options.hpp"

#include <charconv>
#include <cstdlib>
#include <sstream>

#include <fmt/format.h>

#include "relpos/errors.hpp"

namespace relpos::harness {
namespace {

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

template <class T>
T parse_number(std::string_view text, std::string_view what) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size())
    throw InputError(fmt::format("{}: '{}' is not a valid number", what, text));
  return value;
}

int environment_int(const char* name, int fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  return parse_number<int>(text, name);
}

}  // namespace

Shard parse_shard(std::string_view text, std::string_view what) {
  const auto slash = text.find('/');
  const auto invalid = [&](std::string_view why) {
    return InputError(fmt::format("{}: '{}' is not a valid shard: {}", what, text, why));
  };
  if (slash == std::string_view::npos) throw invalid("expected I/N, e.g. 0/4");
  Shard shard;
  try {
    shard.index = parse_number<int>(text.substr(0, slash), what);
    shard.total = parse_number<int>(text.substr(slash + 1), what);
  } catch (const InputError&) {
    throw invalid("I and N must be whole numbers");
  }
  if (shard.total < 1) throw invalid("N must be at least 1");
  if (shard.index < 0 || shard.index >= shard.total)
    throw invalid(fmt::format("I must be 0 .. {} (shards are numbered from 0)", shard.total - 1));
  return shard;
}

ProveOptions options_from_environment(ProveOptions options) {
  if (const char* params = std::getenv("RC_PARAMS"); params != nullptr) {
    std::istringstream words{std::string(params)};
    std::string word;
    while (words >> word) {
      const auto equals = word.find('=');
      const std::string key = word.substr(0, equals);
      const std::string value = equals == std::string::npos ? "1" : word.substr(equals + 1);
      const std::string what = "RC_PARAMS " + key;
      if (key == "seed") options.seed = parse_number<std::uint64_t>(value, what);
      else if (key == "max_success") options.cases = parse_number<int>(value, what);
      else if (key == "max_size") options.max_size = parse_number<int>(value, what);
      else if (key == "noshrink") options.shrink = parse_number<int>(value, what) == 0;
      // Other RapidCheck keys (verbose_progress, reproduce, ...) do not apply to this runner.
    }
  }
  options.shard.total = environment_int("GTEST_TOTAL_SHARDS", options.shard.total);
  options.shard.index = environment_int("GTEST_SHARD_INDEX", options.shard.index);
  if (options.shard.total < 1 || options.shard.index < 0 || options.shard.index >= options.shard.total)
    throw InputError(fmt::format("shard {} of {} is not a valid shard (GTEST_SHARD_INDEX / GTEST_TOTAL_SHARDS)",
                                 options.shard.index, options.shard.total));
  if (options.cases < 1) throw InputError(fmt::format("cases must be at least 1, not {}", options.cases));
  if (options.max_size < 0) throw InputError(fmt::format("max_size must not be negative, not {}", options.max_size));
  return options;
}

std::uint64_t property_seed(const ProveOptions& options, Property property) {
  std::uint64_t seed = mix(options.seed);
  if (options.shard.total > 1)
    seed = mix(seed ^ mix((static_cast<std::uint64_t>(options.shard.total) << 32) |
                          static_cast<std::uint64_t>(options.shard.index)));
  for (char ch : to_string(property)) seed = mix(seed ^ static_cast<unsigned char>(ch));
  return seed;
}

}  // namespace relpos::harness
