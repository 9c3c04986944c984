#pragma once
// The axes a model fixes (SPEC.md parts 1 and 2): chain term, cyclic residue
// offsets, arithmetic regime, r_max, s_max, c_z.
#include <cstdint>
#include <string>
#include <string_view>

namespace relpos {

/// Which condition keys the chain (sym) term; see SPEC.md "Variants".
enum class Variant {
  af3,    ///< AF3 code, Protenix, PXDesign, OpenFold3, RF3, Boltz-2 with fix_sym_check
  paper,  ///< the paper's pseudocode / Boltz-1 / Boltz-2 without fix_sym_check: chain term on NOT same_chain
};

/// Whether residue offsets are wrapped by a chain's cyclic period (SPEC.md part 2).
enum class Cyclic {
  none,   ///< plain offsets; any cyclic_period is ignored
  boltz,  ///< Boltz-1/2: o - P * round_half_even(o / P) in float32, P of the column token, 10000 fallback
};

/// The arithmetic regime of the pair values (SPEC.md part 2 "Precision regimes").
enum class Precision {
  fp32,           ///< ((t1 + t2) + t3) + t4 in float32
  bf16,           ///< the fp32 sum rounded once to bf16
  bf16_autocast,  ///< W rounded to bf16 first, fp32 sum, rounded once to bf16 (torch.autocast)
};

std::string_view to_string(Variant variant);
std::string_view to_string(Cyclic cyclic);
/// "fp32", "bf16", "bf16-autocast".
std::string_view to_string(Precision precision);
/// Each throws InputError naming the unknown value and the known ones.
Variant parse_variant(std::string_view name);
Cyclic parse_cyclic(std::string_view name);
Precision parse_precision(std::string_view name);

/// The result is a bf16 value (both bf16 regimes).
constexpr bool rounds_result(Precision precision) { return precision != Precision::fp32; }
/// W is rounded to bf16 before it is summed (autocast only).
constexpr bool rounds_weights(Precision precision) { return precision == Precision::bf16_autocast; }

struct Config {
  std::int32_t r_max = 32;
  std::int32_t s_max = 2;
  std::int32_t c_z = 128;
  Variant variant = Variant::af3;
  Cyclic cyclic = Cyclic::none;
  Precision precision = Precision::fp32;

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
