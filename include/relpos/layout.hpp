#pragma once
// The five per-token id arrays of a complex (SPEC.md "Inputs"), and the
// optional per-token cyclic period of Boltz's cyclic chains (SPEC.md part 2).
#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include <xtensor/xtensor.hpp>

#include "relpos/bins.hpp"

namespace relpos {

using IdArray = xt::xtensor<std::int64_t, 2>;  ///< [batch, tokens]

enum class IdField { asym_id, residue_index, entity_id, sym_id, token_index };
inline constexpr std::array<IdField, 5> kIdFields = {IdField::asym_id, IdField::residue_index, IdField::entity_id,
                                                     IdField::sym_id, IdField::token_index};
std::string_view to_string(IdField field);

/// Ids are stored as int64 [B, N]; `batched` remembers whether the caller
/// gave a leading batch dimension ([N] inputs are B = 1, batched = false).
struct Layout {
  IdArray asym_id;
  IdArray residue_index;
  IdArray entity_id;
  IdArray sym_id;
  IdArray token_index;
  /// Empty (no periods given: every token 0) or [B, N] like the ids; 0 = not
  /// cyclic, P > 0 = a cyclic chain of period P (Boltz: the chain's residue count).
  IdArray cyclic_period;
  bool batched = false;

  std::int64_t batch() const { return static_cast<std::int64_t>(asym_id.shape(0)); }
  std::int64_t tokens() const { return static_cast<std::int64_t>(asym_id.shape(1)); }

  IdArray& ids(IdField field);
  const IdArray& ids(IdField field) const;

  bool has_periods() const { return cyclic_period.size() != 0; }
  std::int64_t period(std::int64_t b, std::int64_t t) const { return has_periods() ? cyclic_period(b, t) : 0; }
  /// Some token of the whole input (every batch element) has a positive period.
  bool any_cyclic() const;

  TokenIds token(std::int64_t b, std::int64_t t) const {
    return TokenIds{asym_id(b, t), residue_index(b, t), entity_id(b, t), sym_id(b, t), token_index(b, t), period(b, t)};
  }

  /// One batch element as an unbatched layout.
  Layout element(std::int64_t b) const;

  /// An unbatched layout from five equally long arrays (int32 or int64).
  template <class Int>
  static Layout from_arrays(std::span<const Int> asym, std::span<const Int> residue, std::span<const Int> entity,
                            std::span<const Int> sym, std::span<const Int> token);
  static Layout from_arrays(std::initializer_list<std::int64_t> asym, std::initializer_list<std::int64_t> residue,
                            std::initializer_list<std::int64_t> entity, std::initializer_list<std::int64_t> sym,
                            std::initializer_list<std::int64_t> token);

  /// A copy with periods [B, N] (shaped like the ids); throws InputError otherwise.
  Layout with_periods(IdArray periods) const;

  /// Stack equally long unbatched layouts into one batched layout (periods
  /// kept where any element has them, 0 for the others).
  static Layout stack(std::span<const Layout> elements);

  friend bool operator==(const Layout&, const Layout&);
};

/// Largest N accepted: N * N * c_z must stay far inside int64 and size_t.
inline constexpr std::int64_t kMaxTokens = std::int64_t{1} << 24;

/// Throws InputError: unequal shapes, N beyond kMaxTokens, periods of another
/// shape than the ids or negative.
void validate(const Layout& layout);

}  // namespace relpos
