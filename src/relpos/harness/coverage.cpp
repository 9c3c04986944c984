#include "relpos/harness/coverage.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace relpos::harness {
namespace {

constexpr __int128 kInt32Span = static_cast<__int128>(1) << 31;

bool beyond_int32(std::int64_t v) {
  return v < std::numeric_limits<std::int32_t>::min() || v > std::numeric_limits<std::int32_t>::max();
}

std::string compact(std::int64_t n) {
  if (n >= 10'000'000) return fmt::format("{}M", n / 1'000'000);
  if (n >= 10'000) return fmt::format("{}k", n / 1000);
  return std::to_string(n);
}

}  // namespace

const char* Coverage::boundary_name(int boundary) {
  static constexpr const char* kNames[kBoundaryCount] = {
      "residue offset clipped low (< -r_max)",
      "residue offset clipped high (> r_max)",
      "residue offset exactly -r_max",
      "residue offset exactly +r_max",
      "token offset clipped low (< -r_max)",
      "token offset clipped high (> r_max)",
      "token offset exactly -r_max",
      "token offset exactly +r_max",
      "sym offset clipped low (< -s_max)",
      "sym offset clipped high (> s_max)",
      "sym offset exactly -s_max",
      "sym offset exactly +s_max",
      "other chain, same entity (homomer pair)",
      "same chain under the paper variant",
      "same-chain residue difference beyond int32",
      "ids beyond int32",
      "r_max = 0",
      "s_max = 0",
      "r_max = 40",
      "s_max = 5",
      "batch of several elements",
      "cyclic: offset changed by the wrap",
      "cyclic: tie offset (P/2 mod P, even P)",
      "cyclic: non-cyclic offset beyond 5000 folded",
      "cyclic: residue numbering beyond 2^24",
      "cyclic: homomer of cyclic chains",
      "cyclic: one chain, two periods",
      "cyclic: batch element without cyclic tokens wrapped",
      "cyclic: paper variant",
      "cyclic: odd-period chain the cyclic-shift property moves",
      "precision fp32",
      "precision bf16",
      "precision bf16-autocast",
  };
  return kNames[boundary];
}

bool Coverage::reachable(Boundary boundary) const {
  const auto fixed_or = [](const std::optional<std::int32_t>& fixed, int value) { return !fixed || *fixed == value; };
  switch (boundary) {
    case same_chain_paper_variant: return scope_.allows(Variant::paper);
    case r_max_zero: return fixed_or(scope_.r_max, 0);
    case s_max_zero: return fixed_or(scope_.s_max, 0);
    case r_max_widest: return fixed_or(scope_.r_max, kMaxR);
    case s_max_widest: return fixed_or(scope_.s_max, kMaxS);
    case cyclic_paper_variant: return scope_.allows(Cyclic::boltz) && scope_.allows(Variant::paper);
    case precision_fp32: return scope_.allows(Precision::fp32);
    case precision_bf16: return scope_.allows(Precision::bf16);
    case precision_bf16_autocast: return scope_.allows(Precision::bf16_autocast);
    default: return boundary < cyclic_wrapped || scope_.allows(Cyclic::boltz);
  }
}

// The labels of a same-chain (or homomer) pair under the Boltz wrap.
void Coverage::add_cyclic_pair(const BinParams& params, const TokenIds& row, const TokenIds& col, bool same_entity) {
  const bool same_chain = row.asym_id == col.asym_id;
  if (!same_chain) {
    if (same_entity && row.cyclic_period > 0 && col.cyclic_period > 0) ++boundaries_[cyclic_homomer];
    return;
  }
  if (params.chain_term_on_same_entity == false) ++boundaries_[cyclic_paper_variant];
  if (row.cyclic_period != col.cyclic_period) ++boundaries_[cyclic_mixed_periods];
  const __int128 offset = static_cast<__int128>(row.residue_index) - col.residue_index;
  const std::int64_t wrapped = boltz_wrapped_offset(row.residue_index, col.residue_index, col.cyclic_period,
                                                    kBoltzFallbackPeriod) - kBoltzFallbackPeriod;
  if (offset != wrapped) ++boundaries_[col.cyclic_period > 0 ? cyclic_wrapped : cyclic_fallback_fold];
  if (col.cyclic_period > 0) {
    const std::int64_t period = col.cyclic_period;
    if (period % 2 == 0 && ((offset % period) + period) % period == period / 2) ++boundaries_[cyclic_tie];
    if (row.residue_index >= (1 << 24) || row.residue_index <= -(1 << 24)) ++boundaries_[cyclic_numbering_beyond_2_24];
  }
}

void Coverage::add(const Case& c) {
  const Config& config = c.config;
  const BinParams params = c.problem().bins();
  const std::int64_t r = config.r_max, s = config.s_max;
  ++cases_;
  ++boundaries_[config.precision == Precision::fp32   ? precision_fp32
                : config.precision == Precision::bf16 ? precision_bf16
                                                      : precision_bf16_autocast];
  if (params.wrap && !(shift_by_periods(c.layout, 1) == c.layout)) ++boundaries_[cyclic_shiftable_chain];
  if (params.wrap)
    for (std::int64_t b = 0; b < c.layout.batch(); ++b)
      if (!c.layout.element(b).any_cyclic()) ++boundaries_[cyclic_batch_whole_rule];
  if (r == 0) ++boundaries_[r_max_zero];
  if (s == 0) ++boundaries_[s_max_zero];
  if (r == kMaxR) ++boundaries_[r_max_widest];
  if (s == kMaxS) ++boundaries_[s_max_widest];
  if (c.layout.batch() > 1) ++boundaries_[batch_of_several];
  const std::int64_t n = c.layout.tokens();
  for (std::int64_t b = 0; b < c.layout.batch(); ++b) {
    for (std::int64_t i = 0; i < n; ++i) {
      const TokenIds row = c.layout.token(b, i);
      if (beyond_int32(row.asym_id) || beyond_int32(row.residue_index) || beyond_int32(row.entity_id) ||
          beyond_int32(row.sym_id) || beyond_int32(row.token_index))
        ++boundaries_[ids_beyond_int32];
      for (std::int64_t j = 0; j < n; ++j) {
        const TokenIds col = c.layout.token(b, j);
        const PairBins bins = pair_bins(params, row, col);
        ++pairs_;
        // Columns: offsets from each block's centre (those within +-kMaxR / kMaxS).
        const auto tracked = [](std::int64_t offset, int limit) { return offset >= -limit && offset <= limit; };
        if (bins.d_res == 2 * r + 1)
          ++residue_other_chain_;
        else if (tracked(bins.d_res - r, kMaxR))
          ++residue_[static_cast<std::size_t>(bins.d_res - r + kMaxR)];
        if (bins.d_tok == 2 * r + 1)
          ++(bins.same_chain ? token_other_residue_ : token_other_chain_);
        else if (tracked(bins.d_tok - r, kMaxR))
          ++token_[static_cast<std::size_t>(bins.d_tok - r + kMaxR)];
        ++(bins.same_entity ? entity_set_ : entity_unset_);
        if (bins.d_chain == 2 * s + 1)
          ++chain_other_;
        else if (tracked(bins.d_chain - s, kMaxS))
          ++chain_[static_cast<std::size_t>(bins.d_chain - s + kMaxS)];
        if (params.wrap) add_cyclic_pair(params, row, col, bins.same_entity);
        // Boundaries, from the raw differences (exact in 128 bits).
        if (bins.same_chain) {
          const __int128 dr = static_cast<__int128>(row.residue_index) - col.residue_index;
          if (dr < -r) ++boundaries_[residue_clipped_low];
          if (dr > r) ++boundaries_[residue_clipped_high];
          if (dr == -r) ++boundaries_[residue_at_minus_r];
          if (dr == r) ++boundaries_[residue_at_plus_r];
          if (dr >= kInt32Span || dr < -kInt32Span) ++boundaries_[residue_difference_beyond_int32];
          if (row.residue_index == col.residue_index) {
            const __int128 dt = static_cast<__int128>(row.token_index) - col.token_index;
            if (dt < -r) ++boundaries_[token_clipped_low];
            if (dt > r) ++boundaries_[token_clipped_high];
            if (dt == -r) ++boundaries_[token_at_minus_r];
            if (dt == r) ++boundaries_[token_at_plus_r];
          }
          if (!params.chain_term_on_same_entity) ++boundaries_[same_chain_paper_variant];
        } else if (bins.same_entity) {
          ++boundaries_[other_chain_same_entity];
        }
        if (bins.d_chain != 2 * s + 1) {
          const __int128 ds = static_cast<__int128>(row.sym_id) - col.sym_id;
          if (ds < -s) ++boundaries_[sym_clipped_low];
          if (ds > s) ++boundaries_[sym_clipped_high];
          if (ds == -s) ++boundaries_[sym_at_minus_s];
          if (ds == s) ++boundaries_[sym_at_plus_s];
        }
      }
    }
  }
}

void Coverage::merge(const Coverage& other) {
  for (std::size_t k = 0; k < residue_.size(); ++k) residue_[k] += other.residue_[k], token_[k] += other.token_[k];
  for (std::size_t k = 0; k < chain_.size(); ++k) chain_[k] += other.chain_[k];
  for (std::size_t k = 0; k < boundaries_.size(); ++k) boundaries_[k] += other.boundaries_[k];
  residue_other_chain_ += other.residue_other_chain_;
  token_other_chain_ += other.token_other_chain_;
  token_other_residue_ += other.token_other_residue_;
  entity_set_ += other.entity_set_;
  entity_unset_ += other.entity_unset_;
  chain_other_ += other.chain_other_;
  cases_ += other.cases_;
  pairs_ += other.pairs_;
}

std::vector<Coverage::Label> Coverage::columns() const {
  // A fixed r_max (s_max) reaches offsets up to it only.
  const int r = scope_.r_max.value_or(kMaxR), s = scope_.s_max.value_or(kMaxS);
  const auto within = [](int o, int limit) { return o >= -limit && o <= limit; };
  std::vector<Label> labels;
  for (int o = -kMaxR; o <= kMaxR; ++o)
    labels.push_back({fmt::format("residue {:+}", o), residue_[o + kMaxR], within(o, r)});
  labels.push_back({"residue other-chain", residue_other_chain_});
  for (int o = -kMaxR; o <= kMaxR; ++o) labels.push_back({fmt::format("token {:+}", o), token_[o + kMaxR], within(o, r)});
  labels.push_back({"token other-chain", token_other_chain_});
  labels.push_back({"token other-residue", token_other_residue_});
  labels.push_back({"entity set", entity_set_});
  labels.push_back({"entity unset", entity_unset_});
  for (int o = -kMaxS; o <= kMaxS; ++o) labels.push_back({fmt::format("chain {:+}", o), chain_[o + kMaxS], within(o, s)});
  labels.push_back({"chain other", chain_other_});
  return labels;
}

std::vector<Coverage::Label> Coverage::boundaries() const {
  std::vector<Label> labels;
  for (int k = 0; k < kBoundaryCount; ++k)
    labels.push_back({boundary_name(k), boundaries_[k], reachable(static_cast<Boundary>(k))});
  return labels;
}

std::vector<std::string> Coverage::missing() const {
  std::vector<std::string> names;
  for (const Label& label : columns())
    if (label.hits == 0 && label.reachable) names.push_back("column " + label.name);
  for (const Label& label : boundaries())
    if (label.hits == 0 && label.reachable) names.push_back(label.name);
  return names;
}

std::string Coverage::summary() const {
  // hit / reachable in the scope
  const auto count = [](const std::vector<Label>& labels) {
    std::pair<std::size_t, std::size_t> hit_of{0, 0};
    for (const Label& label : labels)
      if (label.reachable) hit_of.first += label.hits > 0, ++hit_of.second;
    return hit_of;
  };
  const auto [columns_hit, columns_reachable] = count(columns());
  const auto [bounds_hit, bounds_reachable] = count(boundaries());
  return fmt::format("{} cases, {} pairs: {}/{} columns, {}/{} boundaries hit", cases_, pairs_, columns_hit,
                     columns_reachable, bounds_hit, bounds_reachable);
}

std::string Coverage::table() const {
  std::string text = "coverage: " + summary() + "\n";
  const auto row_of = [&](const char* title, const auto& counts, int centre, int first, int last) {
    std::string line = fmt::format("  {:<8}{:+3}..{:+3}:", title, first, last);
    for (int o = first; o <= last; ++o) line += " " + compact(counts[static_cast<std::size_t>(o + centre)]);
    return line + "\n";
  };
  for (int first = -kMaxR; first <= kMaxR; first += 9) {
    text += row_of("residue", residue_, kMaxR, first, std::min(first + 8, kMaxR));
  }
  text += fmt::format("  residue other-chain: {}\n", compact(residue_other_chain_));
  for (int first = -kMaxR; first <= kMaxR; first += 9) {
    text += row_of("token", token_, kMaxR, first, std::min(first + 8, kMaxR));
  }
  text += fmt::format("  token other-chain: {}, other-residue: {}\n", compact(token_other_chain_),
                      compact(token_other_residue_));
  text += fmt::format("  entity set: {}, unset: {}\n", compact(entity_set_), compact(entity_unset_));
  text += row_of("chain", chain_, kMaxS, -kMaxS, kMaxS);
  text += fmt::format("  chain other: {}\n", compact(chain_other_));
  const std::vector<Label> labels = boundaries();
  std::size_t width = 0;
  for (const Label& label : labels) width = std::max(width, label.name.size());
  for (const Label& label : labels) text += fmt::format("  {:<{}}  {}\n", label.name, width, compact(label.hits));
  return text;
}

}  // namespace relpos::harness
