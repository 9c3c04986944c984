#include "relpos/harness/gen_scale.hpp"

#include <algorithm>
#include <cmath>

#include "relpos/harness/gen_case.hpp"
#include "relpos/harness/gen_choice.hpp"
#include "relpos/harness/gen_config.hpp"
#include "relpos/layouts/complex_builder.hpp"

namespace relpos::harness {
namespace {

using gen::uniform;
using gen::weighted_choice;
using gen::weighted_one_of;

// One chain of a scale layout: its share of the tokens and how it is numbered.
struct ScaleChain {
  std::int32_t share = 1;          ///< relative length
  bool same_entity_as_first = false;
  bool cyclic = false;             ///< Boltz cyclic (period: its length), when the config wraps
  std::int64_t first_residue = 1;
};

struct ScaleSpec {
  std::int64_t tokens = 65;
  std::vector<ScaleChain> chains;
  bool batched = false;  ///< two elements: the layout and its chains reversed
};

Layout build_element(const ScaleSpec& spec, bool periods, bool reverse) {
  ComplexBuilder builder;
  if (periods) builder.with_periods();
  std::int64_t total_share = 0;
  for (const ScaleChain& chain : spec.chains) total_share += chain.share;
  std::int64_t used = 0;
  const auto count = static_cast<std::int64_t>(spec.chains.size());
  for (std::int64_t k = 0; k < count; ++k) {
    const ScaleChain& chain = spec.chains[static_cast<std::size_t>(reverse ? count - 1 - k : k)];
    // The last chain takes the rest, so the element has exactly `tokens` tokens.
    const std::int64_t length =
        k + 1 == count ? spec.tokens - used : std::max<std::int64_t>(1, spec.tokens * chain.share / total_share);
    if (length <= 0) break;
    const std::int64_t entity = chain.same_entity_as_first ? 0 : k;
    const std::int64_t period = periods && chain.cyclic ? length : 0;
    builder.residue_range({k, entity, chain.same_entity_as_first ? k : 0, period}, chain.first_residue, length);
    used += length;
  }
  return builder.build();
}

rc::Gen<ScaleChain> scale_chain() {
  using rc::gen::set;
  return rc::gen::build<ScaleChain>(
      set(&ScaleChain::share, uniform<std::int32_t>(1, 5)),
      set(&ScaleChain::same_entity_as_first, weighted_choice<bool>({{2, false}, {1, true}})),
      set(&ScaleChain::cyclic, weighted_choice<bool>({{1, false}, {1, true}})),
      set(&ScaleChain::first_residue,
          weighted_one_of<std::int64_t>({{4, rc::gen::just(std::int64_t{1})}, {1, uniform<std::int64_t>(-50, 6000)}})));
}

// N from the first entries of the list (more as the size grows), within the element budget.
rc::Gen<std::int64_t> scale_tokens(std::int64_t channels, bool batched) {
  return rc::gen::withSize([channels, batched](int size) {
    const auto& all = scale_token_counts();
    const auto budget = static_cast<std::int64_t>(
        std::sqrt(static_cast<double>(scale_element_budget(size)) / static_cast<double>(channels * (batched ? 2 : 1))));
    std::vector<std::int64_t> allowed;
    // Size 100 (the default maximum) reaches N = 1025; size 150 the whole list (PXDesign's 3200 needs size > 100 for its budget).
    const std::size_t reach = std::max<std::size_t>(1, all.size() * static_cast<std::size_t>(size + 1) / 151);
    for (std::size_t k = 0; k < all.size() && k < reach; ++k)
      if (all[k] <= budget || allowed.empty()) allowed.push_back(all[k]);
    // An index that shrinks toward 0, so a tile bug shrinks to the smallest N
    // that shows it (RapidCheck's elementOf does not shrink at all).
    return rc::gen::map(uniform<std::size_t>(0, allowed.size()), [allowed](std::size_t k) { return allowed[k]; });
  });
}

}  // namespace

std::int64_t scale_element_budget(int size) { return size > 100 ? kScaleElementBudget * 8 : kScaleElementBudget; }

const std::vector<std::int64_t>& scale_token_counts() {
  static const std::vector<std::int64_t> kCounts = [] {
    std::vector<std::int64_t> counts;
    for (std::int64_t k = 6; k <= 11; ++k) {
      const std::int64_t p = std::int64_t{1} << k;
      for (std::int64_t n : {p - 1, p, p + 1, p + 8, p + 31, p + 129}) counts.push_back(n);
    }
    // 2049 closes the powers of two; PXDesign switches to 8-way chunking at N >= 3200.
    for (std::int64_t n : {2049, 3199, 3200, 3201}) counts.push_back(n);
    std::sort(counts.begin(), counts.end());
    counts.erase(std::unique(counts.begin(), counts.end()), counts.end());
    counts.erase(std::remove_if(counts.begin(), counts.end(), [](std::int64_t n) { return n <= 64; }), counts.end());
    return counts;
  }();
  return kCounts;
}

Weights scale_probe_weights(const Config& config) {
  Weights w = xt::zeros<float>({static_cast<std::size_t>(config.c_z), static_cast<std::size_t>(config.feature_width())});
  const std::int64_t r = config.r_max, s = config.s_max;
  const std::int64_t blocks[4][2] = {{0, 2 * r + 2}, {2 * r + 2, 4 * r + 4}, {4 * r + 4, 4 * r + 5}, {4 * r + 5, 4 * r + 2 * s + 7}};
  for (std::int64_t channel = 0; channel < std::min<std::int64_t>(4, config.c_z); ++channel)
    for (std::int64_t f = blocks[channel][0]; f < blocks[channel][1]; ++f)
      w(channel, f) = static_cast<float>(f - blocks[channel][0] + 1);
  return w;
}

const char* scale_probe_legend() {
  return "probe weights: channel 0 = residue bin + 1, channel 1 = token bin + 1, channel 2 = entity bit, "
         "channel 3 = chain bin + 1";
}

namespace gen {

rc::Gen<Case> scale_case(const Scope& scope) {
  const std::int64_t channels = scope.c_z.value_or(4);
  const auto config_gen = rc::gen::map(config(scope), [channels](Config c) {
    c.c_z = static_cast<std::int32_t>(channels);
    return c;
  });
  const auto chains_gen = rc::gen::mapcat(rc::gen::inRange<std::size_t>(1, 5), [](std::size_t count) {
    return rc::gen::container<std::vector<ScaleChain>>(count, scale_chain());
  });
  // Independent draws (RapidCheck shrinks each with the others held), so a
  // tile bug shrinks to the smallest failing N under the config that shows it.
  return rc::gen::apply(
      [channels](std::int64_t tokens, bool batched, const Config& config, std::vector<ScaleChain> chains) {
        // A batch of two holds twice the elements: only where the budget allows.
        batched = batched && 2 * tokens * tokens * channels <= kScaleElementBudget;  // the default size's budget
        ScaleSpec spec{tokens, std::move(chains), batched};
        if (spec.chains.empty()) spec.chains.push_back({});
        const bool periods = config.cyclic == Cyclic::boltz;
        Case c;
        c.config = config;
        c.layout = build_element(spec, periods, false);
        if (batched) {
          const std::vector<Layout> elements = {c.layout, build_element(spec, periods, true)};
          c.layout = Layout::stack(elements);
        }
        c.weights = scale_probe_weights(config);
        c.transform = build_transform(TransformSpec{}, c.layout);
        return c;
      },
      scale_tokens(channels, false), weighted_choice<bool>({{3, false}, {1, true}}), config_gen, chains_gen);
}

}  // namespace gen
}  // namespace relpos::harness
