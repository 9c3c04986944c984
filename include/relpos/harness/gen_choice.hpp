#pragma once
// Small generator building blocks whose shrinks go where a reader wants them:
// toward the first (simplest) choice, toward zero, never into a seed.
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include <rapidcheck.h>

namespace relpos::harness::gen {

/// RapidCheck scales inRange by the test size; choices and seeds must not be.
inline constexpr int kFullSize = 100;

/// Uniform in [low, high) whatever the current size; shrinks toward `low`.
template <class T>
rc::Gen<T> uniform(T low, T high) {
  return rc::gen::resize(kFullSize, rc::gen::inRange<T>(low, high));
}

/// A 64-bit seed: uniform, printed as is, never shrunk (a shrunk seed means nothing).
inline rc::Gen<std::uint64_t> seed() {
  return rc::gen::noShrink(uniform<std::uint64_t>(0, std::numeric_limits<std::uint64_t>::max()));
}

/// One of `choices` with the given weights; shrinks toward earlier choices
/// (RapidCheck's weightedElement does not shrink at all).
template <class T>
rc::Gen<T> weighted_choice(std::vector<std::pair<int, T>> choices) {
  int total = 0;
  for (const auto& choice : choices) total += choice.first;
  return rc::gen::map(uniform<int>(0, total), [choices = std::move(choices)](int ticket) {
    for (const auto& [weight, value] : choices) {
      if (ticket < weight) return value;
      ticket -= weight;
    }
    return choices.back().second;
  });
}

/// A value from one of `generators`, chosen by weight; shrinks toward the
/// earlier generators first, then within the chosen one.
template <class T>
rc::Gen<T> weighted_one_of(std::vector<std::pair<int, rc::Gen<T>>> generators) {
  std::vector<std::pair<int, std::size_t>> indices;
  for (std::size_t k = 0; k < generators.size(); ++k) indices.emplace_back(generators[k].first, k);
  return rc::gen::mapcat(weighted_choice(std::move(indices)),
                         [generators = std::move(generators)](std::size_t k) { return generators[k].second; });
}

/// `center` plus an offset of magnitude at most `spread`, equally often
/// below; shrinks toward `center` itself (so a shrunk value stays on the
/// boundary it was drawn around, instead of sliding to the range's low end).
inline rc::Gen<std::int64_t> near(std::int64_t center, std::int64_t spread) {
  return rc::gen::map(rc::gen::pair(uniform<std::int64_t>(0, spread + 1), weighted_choice<bool>({{1, false}, {1, true}})),
                      [center](const std::pair<std::int64_t, bool>& p) { return p.second ? center - p.first : center + p.first; });
}

/// A nonzero offset of magnitude at most `max_magnitude`, equally often
/// negative; shrinks toward +1.
inline rc::Gen<std::int64_t> nonzero_offset(std::int64_t max_magnitude) {
  return rc::gen::map(rc::gen::pair(uniform<std::int64_t>(1, max_magnitude + 1), weighted_choice<bool>({{1, false}, {1, true}})),
                      [](const std::pair<std::int64_t, bool>& p) { return p.second ? -p.first : p.first; });
}

}  // namespace relpos::harness::gen
