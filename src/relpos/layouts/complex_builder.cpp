#include "relpos/layouts/complex_builder.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "relpos/errors.hpp"

namespace relpos {

void ComplexBuilder::token(const ChainIds& chain, std::int64_t residue) {
  asym_.push_back(chain.asym_id);
  residue_.push_back(residue);
  entity_.push_back(chain.entity_id);
  sym_.push_back(chain.sym_id);
  token_.push_back(next_token_++);
  period_.push_back(chain.cyclic_period);
  periods_ = periods_ || chain.cyclic_period != 0;
}

ComplexBuilder& ComplexBuilder::residues(const ChainIds& chain, std::span<const std::int64_t> residue_numbers) {
  for (std::int64_t residue : residue_numbers) token(chain, residue);
  return *this;
}

ComplexBuilder& ComplexBuilder::residue_range(const ChainIds& chain, std::int64_t first, std::int64_t count) {
  for (std::int64_t k = 0; k < count; ++k) token(chain, first + k);
  return *this;
}

ComplexBuilder& ComplexBuilder::per_atom(const ChainIds& chain, std::int64_t residue, std::int64_t atoms) {
  for (std::int64_t k = 0; k < atoms; ++k) token(chain, residue);
  return *this;
}

Layout ComplexBuilder::build() const {
  using S = std::span<const std::int64_t>;
  Layout layout = Layout::from_arrays<std::int64_t>(S(asym_), S(residue_), S(entity_), S(sym_), S(token_));
  if (!periods_) return layout;
  IdArray periods = IdArray::from_shape({std::size_t{1}, period_.size()});
  std::copy(period_.begin(), period_.end(), periods.begin());
  return layout.with_periods(std::move(periods));
}

Layout crop(const Layout& layout, std::span<const std::int64_t> positions) {
  if (layout.batched) throw InputError("crop: expected an unbatched layout");
  std::int64_t previous = -1;
  for (const std::int64_t position : positions) {
    if (position <= previous || position >= layout.tokens())
      throw InputError(fmt::format("crop: position {} is out of order or beyond N = {}", position, layout.tokens()));
    previous = position;
  }
  const auto select = [&](const IdArray& source, IdArray& target) {
    target.resize({std::size_t{1}, positions.size()});
    for (std::size_t k = 0; k < positions.size(); ++k) target(0, k) = source(0, positions[k]);
  };
  Layout cropped;
  for (IdField field : kIdFields) select(layout.ids(field), cropped.ids(field));
  if (layout.has_periods()) select(layout.cyclic_period, cropped.cyclic_period);
  return cropped;
}

}  // namespace relpos
