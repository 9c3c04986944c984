#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace relpos {

/// Which condition keys the chain (sym) term; see SPEC.md "Variants".
enum class Variant {
  af3,    ///< AF3 code, Protenix, PXDesign, OpenFold3, RF3, Boltz-2 with fix_sym_check
  paper,  ///< the paper's pseudocode / Boltz default: chain term on NOT same_chain
};

std::string_view to_string(Variant variant);
/// Throws InputError for an unknown name.
Variant parse_variant(std::string_view name);

struct Config {
  std::int32_t r_max = 32;
  std::int32_t s_max = 2;
  std::int32_t c_z = 128;
  Variant variant = Variant::af3;

  /// F = 2(r_max+1) + 2(r_max+1) + 1 + 2(s_max+1).
  constexpr std::int64_t feature_width() const { return 4 * std::int64_t{r_max} + 2 * std::int64_t{s_max} + 7; }
  constexpr std::int64_t token_offset() const { return 2 * std::int64_t{r_max} + 2; }
  constexpr std::int64_t entity_column() const { return 4 * std::int64_t{r_max} + 4; }
  constexpr std::int64_t chain_offset() const { return 4 * std::int64_t{r_max} + 5; }

  friend bool operator==(const Config&, const Config&) = default;
};

/// Largest r_max / s_max accepted: keeps F and the weight table sane.
inline constexpr std::int32_t kMaxClip = 1 << 20;
inline constexpr std::int32_t kMaxChannels = 1 << 16;

/// Throws InputError naming the bad field.
void validate(const Config& config);

std::string describe(const Config& config);

}  // namespace relpos
