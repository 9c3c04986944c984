#include "relpos/harness/case.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include <fmt/format.h>

#include "relpos/errors.hpp"

namespace relpos::harness {

bool operator==(const Case& a, const Case& b) {
  return a.config == b.config && a.layout == b.layout && a.weights == b.weights && a.transform == b.transform;
}

namespace {

void check_relabelling(const Relabelling& relabelling, const char* what) {
  std::set<std::int64_t> from, to;
  for (const auto& [old_id, new_id] : relabelling) {
    if (!from.insert(old_id).second)
      throw InputError(fmt::format("{} relabelling lists id {} twice", what, old_id));
    if (!to.insert(new_id).second)
      throw InputError(fmt::format("{} relabelling is not injective: two ids map to {}", what, new_id));
  }
}

void check_shift(const Layout& layout, IdField field, std::int64_t shift) {
  for (const std::int64_t id : layout.ids(field)) {
    std::int64_t sum = 0;
    if (__builtin_add_overflow(id, shift, &sum))
      throw InputError(fmt::format("{} shift {} overflows int64 at id {}", to_string(field), shift, id));
  }
}

}  // namespace

void validate(const Case& c) {
  validate(c.problem());
  const Transform& t = c.transform;
  const auto n = static_cast<std::size_t>(c.layout.tokens());
  if (t.permutation.size() != n)
    throw InputError(fmt::format("permutation has {} entries but the layout has {} tokens", t.permutation.size(), n));
  std::vector<bool> seen(n, false);
  for (const std::int64_t p : t.permutation) {
    if (p < 0 || static_cast<std::size_t>(p) >= n || seen[static_cast<std::size_t>(p)])
      throw InputError(fmt::format("permutation is not a permutation of 0..{} (entry {})", n - 1, p));
    seen[static_cast<std::size_t>(p)] = true;
  }
  check_shift(c.layout, IdField::residue_index, t.residue_shift);
  check_shift(c.layout, IdField::token_index, t.token_shift);
  check_shift(c.layout, IdField::sym_id, t.sym_shift);
  check_relabelling(t.asym_relabelling, "asym_id");
  check_relabelling(t.entity_relabelling, "entity_id");
  // Ids the relabelling does not mention keep their value, so they must not collide with a new id.
  for (const auto& [field, relabelling] :
       {std::pair{IdField::asym_id, &t.asym_relabelling}, std::pair{IdField::entity_id, &t.entity_relabelling}}) {
    std::set<std::int64_t> from, to;
    for (const auto& [old_id, new_id] : *relabelling) from.insert(old_id), to.insert(new_id);
    for (const std::int64_t id : c.layout.ids(field))
      if (!from.contains(id) && to.contains(id))
        throw InputError(fmt::format("{} relabelling maps onto id {} that stays unrelabelled", to_string(field), id));
  }
  if (t.chunk_rows < 1) throw InputError(fmt::format("chunk_rows must be at least 1, not {}", t.chunk_rows));
  if (t.threads < 1) throw InputError(fmt::format("threads must be at least 1, not {}", t.threads));
}

Layout permute_tokens(const Layout& layout, const std::vector<std::int64_t>& permutation) {
  Layout result = layout;
  const std::int64_t n = layout.tokens();
  const auto permute = [&](const IdArray& source, IdArray& target) {
    for (std::int64_t b = 0; b < layout.batch(); ++b)
      for (std::int64_t t = 0; t < n; ++t) target(b, t) = source(b, permutation[static_cast<std::size_t>(t)]);
  };
  for (IdField field : kIdFields) permute(layout.ids(field), result.ids(field));
  if (layout.has_periods()) permute(layout.cyclic_period, result.cyclic_period);
  return result;
}

Layout shift_by_periods(const Layout& layout, std::int64_t multiple) {
  constexpr std::int64_t kLimit = std::int64_t{1} << 20;
  Layout result = layout;
  if (!layout.has_periods() || multiple == 0 || std::abs(multiple) > 4) return result;
  for (std::int64_t b = 0; b < layout.batch(); ++b) {
    // Per chain: its one period (-1: not shiftable) and residue range.
    struct Chain {
      std::int64_t period = 0, low = kLimit, high = -kLimit;
      bool shiftable = true;
    };
    std::map<std::int64_t, Chain> chains;
    for (std::int64_t t = 0; t < layout.tokens(); ++t) {
      const std::int64_t residue = layout.residue_index(b, t), period = layout.cyclic_period(b, t);
      auto [it, fresh] = chains.try_emplace(layout.asym_id(b, t), Chain{period});
      Chain& chain = it->second;
      chain.shiftable = chain.shiftable && period == chain.period && period % 2 == 1 && period < kLimit &&
                        residue > -kLimit && residue < kLimit;
      chain.low = std::min(chain.low, residue);
      chain.high = std::max(chain.high, residue);
    }
    for (std::int64_t t = 0; t < layout.tokens(); ++t) {
      const Chain& chain = chains.at(layout.asym_id(b, t));
      if (chain.shiftable && chain.high - chain.low < chain.period && layout.residue_index(b, t) % 2 != 0)
        result.residue_index(b, t) += multiple * chain.period;
    }
  }
  return result;
}

xt::xtensor<float, 4> permute_pairs(const xt::xtensor<float, 4>& output, const std::vector<std::int64_t>& permutation) {
  xt::xtensor<float, 4> result(output.shape());
  const std::size_t batch = output.shape(0), n = output.shape(1), channels = output.shape(3);
  for (std::size_t b = 0; b < batch; ++b)
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) {
        const auto pi = static_cast<std::size_t>(permutation[i]);
        const auto pj = static_cast<std::size_t>(permutation[j]);
        std::copy_n(&output(b, pi, pj, 0), channels, &result(b, i, j, 0));
      }
  return result;
}

Layout add_to_field(const Layout& layout, IdField field, std::int64_t shift) {
  Layout result = layout;
  for (std::int64_t& id : result.ids(field)) id += shift;
  return result;
}

Layout relabel_field(const Layout& layout, IdField field, const Relabelling& relabelling) {
  Layout result = layout;
  for (std::int64_t& id : result.ids(field)) {
    const auto it = std::find_if(relabelling.begin(), relabelling.end(), [&](const auto& p) { return p.first == id; });
    if (it != relabelling.end()) id = it->second;
  }
  return result;
}

xt::xtensor<float, 4> initial_accumulator(const Case& c) {
  xt::xtensor<float, 4> z(c.problem().output_shape());
  std::mt19937_64 random(c.transform.accumulator_seed);
  std::uniform_real_distribution<float> mantissa(-4.0f, 4.0f);
  std::uniform_int_distribution<int> exponent(-12, 12);
  std::uniform_int_distribution<int> percent(0, 99);
  for (float& v : z) v = percent(random) < 20 ? 0.0f : std::ldexp(mantissa(random), exponent(random));
  return z;
}

}  // namespace relpos::harness

namespace relpos::harness {

xt::xtensor<float, 4> grad_output_for(const Case& c) {
  xt::xtensor<float, 4> g(c.problem().output_shape());
  // Not the accumulator's stream: a distinct seed derived from the same field.
  std::mt19937_64 random(c.transform.accumulator_seed ^ 0x6772616475ull);
  if (random() % 2 == 0) {
    std::normal_distribution<float> normal;
    for (float& v : g) v = normal(random);
  } else {
    std::uniform_int_distribution<int> small(-4, 4);
    std::uniform_int_distribution<int> percent(0, 99);
    for (float& v : g) v = percent(random) < 33 ? 0.0f : static_cast<float>(small(random));
  }
  return g;
}

}  // namespace relpos::harness
