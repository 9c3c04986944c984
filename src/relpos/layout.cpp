#include "relpos/layout.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <xtensor/xview.hpp>

#include "relpos/errors.hpp"

namespace relpos {

std::string_view to_string(IdField field) {
  switch (field) {
    case IdField::asym_id: return "asym_id";
    case IdField::residue_index: return "residue_index";
    case IdField::entity_id: return "entity_id";
    case IdField::sym_id: return "sym_id";
    case IdField::token_index: return "token_index";
  }
  return "?";
}

IdArray& Layout::ids(IdField field) {
  return const_cast<IdArray&>(static_cast<const Layout&>(*this).ids(field));
}

const IdArray& Layout::ids(IdField field) const {
  switch (field) {
    case IdField::asym_id: return asym_id;
    case IdField::residue_index: return residue_index;
    case IdField::entity_id: return entity_id;
    case IdField::sym_id: return sym_id;
    case IdField::token_index: return token_index;
  }
  return asym_id;
}

Layout Layout::element(std::int64_t b) const {
  Layout single;
  for (IdField field : kIdFields) {
    const IdArray& source = ids(field);
    single.ids(field) = xt::view(source, xt::range(b, b + 1), xt::all());
  }
  if (has_periods()) single.cyclic_period = xt::view(cyclic_period, xt::range(b, b + 1), xt::all());
  single.batched = false;
  return single;
}

template <class Int>
Layout Layout::from_arrays(std::span<const Int> asym, std::span<const Int> residue, std::span<const Int> entity,
                           std::span<const Int> sym, std::span<const Int> token) {
  const std::array<std::span<const Int>, 5> sources = {asym, residue, entity, sym, token};
  Layout layout;
  for (std::size_t k = 0; k < sources.size(); ++k) {
    if (sources[k].size() != asym.size())
      throw InputError(fmt::format("{} has {} tokens but asym_id has {}", to_string(kIdFields[k]), sources[k].size(),
                                   asym.size()));
    IdArray& target = layout.ids(kIdFields[k]);
    target.resize({std::size_t{1}, sources[k].size()});
    std::copy(sources[k].begin(), sources[k].end(), target.begin());
  }
  validate(layout);
  return layout;
}

template Layout Layout::from_arrays<std::int32_t>(std::span<const std::int32_t>, std::span<const std::int32_t>,
                                                  std::span<const std::int32_t>, std::span<const std::int32_t>,
                                                  std::span<const std::int32_t>);
template Layout Layout::from_arrays<std::int64_t>(std::span<const std::int64_t>, std::span<const std::int64_t>,
                                                  std::span<const std::int64_t>, std::span<const std::int64_t>,
                                                  std::span<const std::int64_t>);

Layout Layout::from_arrays(std::initializer_list<std::int64_t> asym, std::initializer_list<std::int64_t> residue,
                           std::initializer_list<std::int64_t> entity, std::initializer_list<std::int64_t> sym,
                           std::initializer_list<std::int64_t> token) {
  using S = std::span<const std::int64_t>;
  return from_arrays<std::int64_t>(S(asym.begin(), asym.size()), S(residue.begin(), residue.size()),
                                   S(entity.begin(), entity.size()), S(sym.begin(), sym.size()),
                                   S(token.begin(), token.size()));
}

Layout Layout::stack(std::span<const Layout> elements) {
  if (elements.empty()) throw InputError("cannot stack an empty list of layouts into a batch");
  const std::int64_t n = elements.front().tokens();
  std::int64_t total = 0;
  for (const Layout& element : elements) {
    if (element.tokens() != n)
      throw InputError(fmt::format("batch elements differ in length ({} and {} tokens)", n, element.tokens()));
    total += element.batch();
  }
  Layout stacked;
  stacked.batched = true;
  for (IdField field : kIdFields) {
    IdArray& target = stacked.ids(field);
    target.resize({static_cast<std::size_t>(total), static_cast<std::size_t>(n)});
    auto out = target.begin();
    for (const Layout& element : elements) out = std::copy(element.ids(field).begin(), element.ids(field).end(), out);
  }
  const bool periods = std::any_of(elements.begin(), elements.end(), [](const Layout& e) { return e.has_periods(); });
  if (periods) {
    stacked.cyclic_period = IdArray::from_shape(stacked.asym_id.shape());
    auto out = stacked.cyclic_period.begin();
    for (const Layout& element : elements) {
      if (element.has_periods()) {
        out = std::copy(element.cyclic_period.begin(), element.cyclic_period.end(), out);
      } else {
        out = std::fill_n(out, element.asym_id.size(), std::int64_t{0});
      }
    }
  }
  return stacked;
}

bool Layout::any_cyclic() const {
  return std::any_of(cyclic_period.begin(), cyclic_period.end(), [](std::int64_t p) { return p > 0; });
}

Layout Layout::with_periods(IdArray periods) const {
  Layout copy = *this;
  copy.cyclic_period = std::move(periods);
  validate(copy);
  return copy;
}

bool operator==(const Layout& a, const Layout& b) {
  if (a.batched != b.batched) return false;
  for (IdField field : kIdFields)
    if (a.ids(field) != b.ids(field)) return false;
  // No periods and all-zero periods describe the same input.
  for (std::int64_t e = 0; e < a.batch(); ++e)
    for (std::int64_t t = 0; t < a.tokens(); ++t)
      if (a.period(e, t) != b.period(e, t)) return false;
  return true;
}

void validate(const Layout& layout) {
  const auto& shape = layout.asym_id.shape();
  for (IdField field : kIdFields) {
    const auto& other = layout.ids(field).shape();
    if (other[0] != shape[0] || other[1] != shape[1])
      throw InputError(fmt::format("{} has shape [{}, {}] but asym_id has [{}, {}]", to_string(field), other[0],
                                   other[1], shape[0], shape[1]));
  }
  if (layout.has_periods()) {
    const auto& periods = layout.cyclic_period.shape();
    if (periods[0] != shape[0] || periods[1] != shape[1])
      throw InputError(fmt::format("cyclic_period has shape [{}, {}] but asym_id has [{}, {}]", periods[0], periods[1],
                                   shape[0], shape[1]));
    const auto negative = std::find_if(layout.cyclic_period.begin(), layout.cyclic_period.end(),
                                       [](std::int64_t p) { return p < 0; });
    if (negative != layout.cyclic_period.end())
      throw InputError(fmt::format("cyclic_period {} is negative (0 = not cyclic, P > 0 = a cyclic chain's period)",
                                   *negative));
  }
  if (layout.tokens() > kMaxTokens)
    throw InputError(fmt::format("N = {} tokens exceeds the supported maximum {}", layout.tokens(), kMaxTokens));
  if (!layout.batched && layout.batch() != 1)
    throw InputError(fmt::format("an unbatched layout must hold exactly one element, not {}", layout.batch()));
}

}  // namespace relpos
