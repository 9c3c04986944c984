#include "relpos/harness/layout_spec.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

#include <xtensor/xview.hpp>

#include "relpos/enum_names.hpp"

namespace relpos::harness {

std::string_view to_string(ChainKind kind) {
  static constexpr auto kNames = enum_names<ChainKind>("polymer", "ligand", "ion");
  return kNames(kind);
}

std::string_view to_string(Numbering numbering) {
  static constexpr auto kNames =
      enum_names<Numbering>("from_one", "from_zero", "offset", "near_int32_max", "near_int32_min", "near_int64_max",
                            "near_int64_min");
  return kNames(numbering);
}

std::string_view to_string(Periodicity periodicity) {
  static constexpr auto kNames = enum_names<Periodicity>("linear", "cyclic", "mixed");
  return kNames(periodicity);
}

std::string_view to_string(CropKind kind) {
  static constexpr auto kNames = enum_names<CropKind>("none", "window", "subset");
  return kNames(kind);
}

namespace {

using Limits64 = std::numeric_limits<std::int64_t>;
using Limits32 = std::numeric_limits<std::int32_t>;

struct Tokens {
  std::vector<std::int64_t> asym, residue, entity, sym, token, period;
  std::size_t size() const { return asym.size(); }
};

// The period of residue `r` of `chain` (see Periodicity).
std::int64_t residue_period(const ChainSpec& chain, std::size_t r) {
  if (chain.kind != ChainKind::polymer || chain.periodicity == Periodicity::linear) return 0;
  const std::int64_t period = std::max<std::int64_t>(1, static_cast<std::int64_t>(chain.residues.size()) + chain.period_delta);
  return chain.periodicity == Periodicity::mixed && r % 2 == 1 ? 0 : period;
}

// The residue_index of the first residue, so that the whole chain stays
// inside int64 and "near a limit" really ends (or starts) next to it.
std::int64_t first_residue(const ChainSpec& chain) {
  std::int64_t span = 0;  // last residue_index minus the first
  for (std::size_t k = 1; k < chain.residues.size(); ++k) span += chain.residues[k].step;
  const std::int64_t offset = chain.offset;
  switch (chain.numbering) {
    case Numbering::from_one: return 1;
    case Numbering::from_zero: return 0;
    case Numbering::offset: return offset;
    case Numbering::near_int32_max: return std::int64_t{Limits32::max()} - span - offset;
    case Numbering::near_int32_min: return std::int64_t{Limits32::min()} + offset;
    case Numbering::near_int64_max: return Limits64::max() - span - offset;
    case Numbering::near_int64_min: return Limits64::min() + offset;
  }
  return 0;
}

Tokens select(const Tokens& all, const std::vector<std::size_t>& keep) {
  Tokens kept;
  for (const std::size_t k : keep) {
    kept.asym.push_back(all.asym[k]);
    kept.residue.push_back(all.residue[k]);
    kept.entity.push_back(all.entity[k]);
    kept.sym.push_back(all.sym[k]);
    kept.token.push_back(all.token[k]);
    kept.period.push_back(all.period[k]);
  }
  return kept;
}

Tokens crop(const Tokens& all, const CropSpec& spec) {
  const std::size_t n = all.size();
  if (spec.kind == CropKind::none || n == 0) return all;
  std::vector<std::size_t> keep;
  if (spec.kind == CropKind::window) {
    const std::size_t count = std::clamp<std::size_t>((n * static_cast<std::size_t>(spec.keep_permille) + 999) / 1000, 1, n);
    const std::size_t start = (n - count) * static_cast<std::size_t>(spec.start_permille) / 1000;
    for (std::size_t k = start; k < start + count; ++k) keep.push_back(k);
  } else {
    std::mt19937_64 random(spec.seed);
    for (std::size_t k = 0; k < n; ++k)
      if (static_cast<std::int32_t>(random() % 1000) < spec.keep_permille) keep.push_back(k);
    if (keep.empty()) keep.push_back(static_cast<std::size_t>(spec.seed % n));
  }
  return select(all, keep);
}

Layout to_layout(const Tokens& t) {
  using S = std::span<const std::int64_t>;
  const Layout layout = Layout::from_arrays<std::int64_t>(S(t.asym), S(t.residue), S(t.entity), S(t.sym), S(t.token));
  IdArray periods = IdArray::from_shape({std::size_t{1}, t.size()});
  std::copy(t.period.begin(), t.period.end(), periods.begin());
  return layout.with_periods(std::move(periods));
}

}  // namespace

Layout build_complex(const ComplexSpec& given) {
  ComplexSpec spec = given;
  if (spec.chains.empty()) spec.chains.push_back(ChainSpec{ChainKind::ion, 1, 0, Numbering::from_one, 0, {ResidueSpec{}}});
  Tokens all;
  std::int64_t asym = spec.asym_base;
  std::size_t total = 0;
  for (const ChainSpec& chain : spec.chains)
    for (const ResidueSpec& residue : chain.residues)
      total += static_cast<std::size_t>(std::max(residue.atoms, 1)) * static_cast<std::size_t>(std::max(chain.copies, 1));
  // token_index counts up from token_base; keep the last one inside int64.
  const std::int64_t token_base =
      std::min(spec.token_base, Limits64::max() - static_cast<std::int64_t>(total > 0 ? total - 1 : 0));
  std::int64_t token = token_base;
  for (std::size_t c = 0; c < spec.chains.size(); ++c) {
    const ChainSpec& chain = spec.chains[c];
    const std::int64_t entity = spec.entity_base + static_cast<std::int64_t>(c);
    for (std::int32_t copy = 0; copy < std::max(chain.copies, 1); ++copy, ++asym) {
      std::int64_t residue = first_residue(chain);
      for (std::size_t r = 0; r < chain.residues.size(); ++r) {
        if (r > 0) residue += chain.residues[r].step;
        for (std::int32_t atom = 0; atom < std::max(chain.residues[r].atoms, 1); ++atom) {
          all.asym.push_back(asym);
          all.residue.push_back(residue);
          all.entity.push_back(entity);
          all.sym.push_back(chain.first_sym + copy);
          all.token.push_back(token++);
          all.period.push_back(residue_period(chain, r));
        }
      }
    }
  }
  Tokens kept = crop(all, spec.crop);
  if (spec.permuted && kept.size() > 1) {
    std::vector<std::size_t> order(kept.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::shuffle(order.begin(), order.end(), std::mt19937_64(spec.permutation_seed));
    kept = select(kept, order);
  }
  return to_layout(kept);
}

Layout token_window(const Layout& layout, std::int64_t first, std::int64_t count) {
  Layout result;
  result.batched = layout.batched;
  for (IdField field : kIdFields)
    result.ids(field) = xt::view(layout.ids(field), xt::all(), xt::range(first, first + count));
  if (layout.has_periods()) result.cyclic_period = xt::view(layout.cyclic_period, xt::all(), xt::range(first, first + count));
  return result;
}

Layout build_layout(const LayoutSpec& spec, std::int64_t max_tokens) {
  std::vector<Layout> elements;
  ComplexSpec single_ion;
  single_ion.chains.push_back(ChainSpec{ChainKind::ion, 1, 0, Numbering::from_one, 0, {ResidueSpec{}}});
  for (const ComplexSpec& complex : spec.elements) {
    Layout element = build_complex(complex);
    elements.push_back(element.tokens() > 0 ? std::move(element) : build_complex(single_ion));
  }
  if (elements.empty()) elements.push_back(build_complex(single_ion));
  std::int64_t n = std::max<std::int64_t>(max_tokens, 1);
  for (const Layout& element : elements) n = std::min(n, element.tokens());
  n = std::max<std::int64_t>(n, 1);
  for (Layout& element : elements) element = token_window(element, 0, n);
  if (elements.size() == 1 && !spec.batched) return elements.front();
  return Layout::stack(elements);
}

}  // namespace relpos::harness
