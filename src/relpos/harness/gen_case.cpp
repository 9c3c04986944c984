#include "relpos/harness/gen_case.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <set>

#include "relpos/harness/gen_choice.hpp"
#include "relpos/harness/gen_config.hpp"
#include "relpos/harness/gen_layout.hpp"
#include "relpos/harness/gen_weights.hpp"

namespace relpos::harness {
namespace {

// The range every id must stay in: int64, or int32 for int32 consumers.
struct IdRange {
  __int128 low, high;
};

IdRange id_range(bool int32_ids) {
  if (int32_ids) return {std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()};
  return {std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()};
}

// `shift` moved into [range.low - min, range.high - max] so every id + shift stays in range.
std::int64_t clamp_shift(const IdArray& ids, std::int64_t shift, const IdRange& range) {
  if (ids.size() == 0) return shift;
  const auto [low, high] = std::minmax_element(ids.begin(), ids.end());
  const __int128 lowest = range.low - *low;
  const __int128 highest = range.high - *high;
  return static_cast<std::int64_t>(std::clamp<__int128>(shift, lowest, std::max(lowest, highest)));
}

Relabelling relabelling(const IdArray& ids, bool shuffle, std::uint64_t seed, std::int64_t offset, const IdRange& range) {
  const std::set<std::int64_t> distinct(ids.begin(), ids.end());
  std::vector<std::int64_t> from(distinct.begin(), distinct.end());
  std::vector<std::int64_t> to = from;
  if (shuffle) std::shuffle(to.begin(), to.end(), std::mt19937_64(seed));
  offset = clamp_shift(ids, offset, range);
  Relabelling result;
  for (std::size_t k = 0; k < from.size(); ++k) result.emplace_back(from[k], to[k] + offset);
  return result;
}

}  // namespace

bool ids_fit_int32(const Layout& layout) {
  for (IdField field : kIdFields)
    for (const std::int64_t id : layout.ids(field))
      if (id < std::numeric_limits<std::int32_t>::min() || id > std::numeric_limits<std::int32_t>::max()) return false;
  return true;
}

bool ids_fit_int32(const Case& c) {
  const Transform& t = c.transform;
  return ids_fit_int32(c.layout) && ids_fit_int32(add_to_field(c.layout, IdField::residue_index, t.residue_shift)) &&
         ids_fit_int32(add_to_field(c.layout, IdField::token_index, t.token_shift)) &&
         ids_fit_int32(add_to_field(c.layout, IdField::sym_id, t.sym_shift)) &&
         ids_fit_int32(relabel_field(c.layout, IdField::asym_id, t.asym_relabelling)) &&
         ids_fit_int32(relabel_field(c.layout, IdField::entity_id, t.entity_relabelling));
}

std::int64_t token_limit(const Config& config, std::int64_t batch, const CaseLimits& limits) {
  const double per_pair = static_cast<double>(std::max<std::int64_t>(batch, 1) * std::max<std::int64_t>(config.c_z, 8));
  const auto by_cost = static_cast<std::int64_t>(std::sqrt(static_cast<double>(limits.max_elements) / per_pair));
  return std::clamp<std::int64_t>(by_cost, 1, limits.max_tokens);
}

Transform build_transform(const TransformSpec& spec, const Layout& layout, bool int32_ids) {
  const IdRange range = id_range(int32_ids);
  Transform t;
  const auto n = static_cast<std::size_t>(layout.tokens());
  t.permutation.resize(n);
  std::iota(t.permutation.begin(), t.permutation.end(), std::int64_t{0});
  if (spec.reverse_permutation)
    std::reverse(t.permutation.begin(), t.permutation.end());
  else
    std::shuffle(t.permutation.begin(), t.permutation.end(), std::mt19937_64(spec.permutation_seed));
  t.residue_shift = clamp_shift(layout.residue_index, spec.residue_shift, range);
  t.token_shift = clamp_shift(layout.token_index, spec.token_shift, range);
  t.sym_shift = clamp_shift(layout.sym_id, spec.sym_shift, range);
  t.asym_relabelling = relabelling(layout.asym_id, spec.shuffle_labels, spec.relabel_seed, spec.asym_offset, range);
  t.entity_relabelling =
      relabelling(layout.entity_id, spec.shuffle_labels, spec.relabel_seed ^ 1, spec.entity_offset, range);
  t.chunk_rows = spec.chunk_rows;
  t.threads = spec.threads;
  t.accumulator_seed = spec.accumulator_seed;
  t.period_multiple = spec.period_multiple;
  return t;
}

Case build_case(const LayoutSpec& layout, const Config& config, const WeightSpec& weights,
                const TransformSpec& transform, const CaseLimits& limits) {
  Case c;
  c.config = config;
  const auto batch = static_cast<std::int64_t>(std::max<std::size_t>(layout.elements.size(), 1));
  c.layout = build_layout(layout, token_limit(config, batch, limits));
  c.weights = make_weights(config, weights);
  c.transform = build_transform(transform, c.layout, limits.int32_ids);
  return c;
}

namespace gen {

rc::Gen<TransformSpec> transform_spec() {
  using rc::gen::set;
  const auto shift = [] {
    return weighted_one_of<std::int64_t>({{60, nonzero_offset(100)},
                                          {25, nonzero_offset(std::int64_t{1} << 40)},
                                          {15, nonzero_offset(std::int64_t{1} << 33)}});
  };
  return rc::gen::build<TransformSpec>(
      set(&TransformSpec::reverse_permutation, weighted_choice<bool>({{1, true}, {4, false}})),
      set(&TransformSpec::permutation_seed, seed()),
      set(&TransformSpec::residue_shift, shift()),
      set(&TransformSpec::token_shift, shift()),
      set(&TransformSpec::sym_shift, shift()),
      set(&TransformSpec::shuffle_labels, weighted_choice<bool>({{1, false}, {3, true}})),
      set(&TransformSpec::relabel_seed, seed()),
      set(&TransformSpec::asym_offset, shift()),
      set(&TransformSpec::entity_offset, shift()),
      set(&TransformSpec::chunk_rows,
          weighted_one_of<std::int64_t>({{3, uniform<std::int64_t>(1, 40)}, {1, uniform<std::int64_t>(40, 5000)}})),
      set(&TransformSpec::threads, uniform<int>(2, 6)),
      set(&TransformSpec::accumulator_seed, seed()),
      set(&TransformSpec::period_multiple, nonzero_offset(2)));
}

rc::Gen<Case> case_(const CaseLimits& limits, const Scope& scope) {
  auto cases = rc::gen::apply(
      [limits](const LayoutSpec& layout, const Config& config, const WeightSpec& weights,
               const TransformSpec& transform) { return build_case(layout, config, weights, transform, limits); },
      layout_spec(), config(scope), weight_spec(), transform_spec());
  if (!limits.int32_ids) return cases;
  return rc::gen::suchThat(std::move(cases), [](const Case& c) { return ids_fit_int32(c.layout); });
}

}  // namespace gen
}  // namespace relpos::harness
