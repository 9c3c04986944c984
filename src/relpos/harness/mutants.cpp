#include "relpos/harness/mutants.hpp"

#include <algorithm>
#include <cmath>
#include <array>
#include <cstring>
#include <span>
#include <vector>

#include "relpos/bins.hpp"

namespace relpos::harness {
namespace {

using Columns = std::function<HotColumns(const BinParams&, const TokenIds& row, const TokenIds& col)>;

// How a mutant's backward departs from the sequential weight gradient.
enum class GradientFault {
  none,
  drop_entity,     ///< the same-entity column's gradient never accumulated
  mirror_chain,    ///< chain column k gets the gradient of column 2 s_max + 1 - k
  skip_last_pair,  ///< G of the last pair (N-1, N-1) of each batch element ignored
  wrong_block,     ///< the token term's gradient added into the residue block (same bin)
  lost_update,     ///< two threads add pairs 2k and 2k+1 into one element unordered: the first add is lost
};

// How a mutant departs from the faithful lookup (all false / empty: faithful).
struct Faults {
  Columns columns = {};                ///< wrong bins; empty: pair_bins()
  bool reordered_sum = false;          ///< (chain + entity) + token + residue
  bool batch_element_zero_ids = false; ///< ids of element 0 for every element
  bool last_chunk_dropped = false;     ///< rows split into 8 chunks of rows / 8, the remainder never written
  bool bf16_truncated = false;         ///< bf16 by dropping the low 16 bits
  bool accumulate_overwrites = false;  ///< z = p instead of z += p
  bool autocast_keeps_weights = false; ///< bf16-autocast without rounding W (as plain bf16)
  bool bf16_rounds_weights = false;    ///< the plain bf16 regime rounds W too (as autocast)
  bool bf16_partial_sums = false;      ///< the bf16 regimes add the terms in bf16 (each partial sum rounded)
  std::int64_t tile_rows = 0;          ///< > 0: rows past the first tile repeat its last row (a tiling bug)
  std::int64_t tail_width = 0;         ///< > 0: for N > 64 no multiple of it, the last column repeats the one before
  GradientFault gradient = GradientFault::none;
};

// The weights as this mutant's regime sums them.
bool rounds_weights_here(const Faults& faults, Precision precision) {
  if (precision == Precision::bf16_autocast) return !faults.autocast_keeps_weights;
  return precision == Precision::bf16 && faults.bf16_rounds_weights;
}

// The fp32 sum of one channel: the four terms in the order (and precision) the faults say.
float pair_sum(const Faults& faults, Precision precision, float residue, float token, float entity, bool has_entity,
                 float chain) {
  const bool bf16_arithmetic = faults.bf16_partial_sums && rounds_result(precision);
  const auto add = [&](float a, float b) { return bf16_arithmetic ? round_to_bf16(a + b) : a + b; };
  float p = 0;
  if (faults.reordered_sum) {
    p = has_entity ? add(chain, entity) : chain;
    p = add(p, token);
    p = add(p, residue);
  } else {
    p = add(residue, token);
    if (has_entity) p = add(p, entity);
    p = add(p, chain);
  }
  return p;
}

void lookup(const Faults& faults, const Problem& problem, const PairOutput& out) {
  const BinParams params = problem.bins();
  const std::int64_t n = problem.layout.tokens();
  const std::int64_t channels = problem.config.c_z;
  const std::int64_t rows = problem.layout.batch() * n * n;
  const std::int64_t rows_written = faults.last_chunk_dropped ? rows / 8 * 8 : rows;
  const Precision precision = problem.config.precision;
  Weights w = problem.weights;
  if (rounds_weights_here(faults, precision))
    for (float& value : w) value = round_to_bf16(value);
  for (std::int64_t pair = 0; pair < rows_written; ++pair) {
    const std::int64_t b = pair / (n * n), i = (pair / n) % n, j = pair % n;
    const std::int64_t ids_of = faults.batch_element_zero_ids ? 0 : b;
    const std::int64_t row_read = faults.tile_rows > 0 && i >= faults.tile_rows ? faults.tile_rows - 1 : i;
    const bool tail = faults.tail_width > 0 && n > 64 && n % faults.tail_width != 0 && j == n - 1;
    const TokenIds row = problem.layout.token(ids_of, row_read), col = problem.layout.token(ids_of, tail ? j - 1 : j);
    const HotColumns hot = faults.columns ? faults.columns(params, row, col) : hot_columns(params, pair_bins(params, row, col));
    for (std::int64_t c = 0; c < channels; ++c) {
      const float sum = pair_sum(faults, precision, w(c, hot.residue), w(c, hot.token),
                                 hot.entity >= 0 ? w(c, hot.entity) : 0.0f, hot.entity >= 0, w(c, hot.chain));
      const float p = regime_result(precision, sum);
      const std::int64_t k = pair * channels + c;
      switch (out.mode) {
        case OutputMode::write_fp32: out.fp32()[k] = p; break;
        case OutputMode::write_bf16:  // the store's rounding is the regime's one rounding of the sum
          out.bf16()[k] = faults.bf16_truncated ? static_cast<bf16_bits>(float_bits(sum) >> 16) : bf16_round(sum);
          break;
        case OutputMode::accumulate: out.fp32()[k] = faults.accumulate_overwrites ? p : out.fp32()[k] + p; break;
      }
    }
  }
}

// How a mutant's Boltz wrap departs from SPEC.md part 2.
enum class WrapFault { row_period, half_away_from_zero, no_fallback, exact_integers, after_clip };

// d_res of a same-chain pair under the wrap with `fault`.
std::int64_t faulty_wrap(WrapFault fault, const TokenIds& row, const TokenIds& col, std::int64_t r) {
  const std::int64_t own = fault == WrapFault::row_period ? row.cyclic_period : col.cyclic_period;
  if (fault == WrapFault::no_fallback && own <= 0) return clipped_offset(row.residue_index, col.residue_index, r);
  const std::int64_t period = own > 0 ? own : kBoltzFallbackPeriod;
  __int128 offset = static_cast<__int128>(row.residue_index) - col.residue_index;
  if (fault == WrapFault::after_clip) offset = std::clamp<__int128>(offset, -r, r);
  __int128 wrapped = 0;
  if (fault == WrapFault::exact_integers) {
    // o - P * round_half_even(o / P) in exact integers.
    __int128 q = offset / period, rem = offset % period;
    if (2 * rem > period || (2 * rem == period && q % 2 != 0)) ++q;
    if (2 * rem < -period || (2 * rem == -period && q % 2 != 0)) --q;
    wrapped = offset - period * q;
  } else {
    const float o = static_cast<float>(offset), p = static_cast<float>(period);
    const float ratio = o / p;
    const float q = fault == WrapFault::half_away_from_zero ? std::round(ratio) : std::nearbyint(ratio);
    wrapped = static_cast<__int128>(static_cast<double>(o - p * q));
  }
  return static_cast<std::int64_t>(std::clamp<__int128>(wrapped + r, 0, 2 * r));
}

Columns wrapped_with(WrapFault fault) {
  return [fault](const BinParams& p, const TokenIds& row, const TokenIds& col) {
    PairBins bins = pair_bins(p, row, col);
    if (p.wrap && bins.same_chain) bins.d_res = static_cast<std::int32_t>(faulty_wrap(fault, row, col, p.r_max));
    return hot_columns(p, bins);
  };
}

// The columns one pair's G goes into under `fault` (-1: nowhere).
std::array<std::int32_t, 4> gradient_columns(GradientFault fault, const BinParams& p, const HotColumns& hot) {
  std::array<std::int32_t, 4> columns{hot.residue, hot.token, hot.entity, hot.chain};
  const auto chain_offset = static_cast<std::int32_t>(4 * p.r_max + 5);
  if (fault == GradientFault::drop_entity) columns[2] = -1;
  if (fault == GradientFault::mirror_chain)
    columns[3] = chain_offset + static_cast<std::int32_t>(2 * p.s_max + 1) - (hot.chain - chain_offset);
  if (fault == GradientFault::wrong_block) columns[1] = hot.token - static_cast<std::int32_t>(2 * p.r_max + 2);
  return columns;
}

// The sequential weight gradient (row-major, fp32 from +0) with `fault`.
void backward(GradientFault fault, const Problem& problem, std::span<const float> g, std::span<float> dw) {
  const BinParams params = problem.bins();
  const std::int64_t n = problem.layout.tokens(), channels = problem.config.c_z;
  const std::int64_t width = problem.config.feature_width();
  std::fill(dw.begin(), dw.end(), 0.0f);
  // lost_update: the columns pair 2k touched and their values before its add,
  // which the thread adding pair 2k + 1 read before that add landed.
  std::array<std::int32_t, 4> first_columns{-1, -1, -1, -1};
  std::vector<float> before(static_cast<std::size_t>(4 * channels));
  for (std::int64_t pair = 0; pair < problem.layout.batch() * n * n; ++pair) {
    const std::int64_t b = pair / (n * n), i = (pair / n) % n, j = pair % n;
    if (fault == GradientFault::skip_last_pair && i == n - 1 && j == n - 1) continue;
    const HotColumns hot = hot_columns(params, pair_bins(params, problem.layout.token(b, i), problem.layout.token(b, j)));
    const std::array<std::int32_t, 4> columns = gradient_columns(fault, params, hot);
    const bool second_of_two = fault == GradientFault::lost_update && pair % 2 == 1;
    for (std::size_t slot = 0; slot < columns.size(); ++slot) {
      const std::int32_t f = columns[slot];
      if (f < 0) continue;
      // The slot where the first pair of two saved this column, if it touched it.
      const auto* saved = std::find(first_columns.begin(), first_columns.end(), f);
      for (std::int64_t c = 0; c < channels; ++c) {
        const std::size_t k = static_cast<std::size_t>(c * width + f);
        if (fault == GradientFault::lost_update && !second_of_two)
          before[slot * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] = dw[k];
        const bool lost = second_of_two && saved != first_columns.end();
        const float base =
            lost ? before[static_cast<std::size_t>(saved - first_columns.begin()) * static_cast<std::size_t>(channels) +
                          static_cast<std::size_t>(c)]
                 : dw[k];
        dw[k] = base + g[static_cast<std::size_t>(pair * channels + c)];
      }
    }
    if (fault == GradientFault::lost_update) first_columns = second_of_two ? std::array<std::int32_t, 4>{-1, -1, -1, -1} : columns;
  }
}

Implementation lookup_implementation(std::string name, Faults faults) {
  Implementation impl = implementation(std::move(name), [faults](const Problem& problem, const PairOutput& out) {
    lookup(faults, problem, out);
  });
  impl.backward = [fault = faults.gradient](const Problem& problem, std::span<const float> g, std::span<float> dw) {
    backward(fault, problem, g, dw);
  };
  impl.backward_exact_order = true;
  impl.backward_deterministic = true;
  return impl;
}

// clip(x, 0, high) the way a hand-written clamp does it (max first, then min),
// which keeps an off-by-one `high` of -1 (r_max = 0) inside the table.
std::int64_t clip(__int128 x, std::int64_t high) {
  return static_cast<std::int64_t>(std::max<__int128>(0, std::min<__int128>(x, high)));
}

// Bins with the residue and token offsets clipped to [0, high(r)] inside the chain.
Columns clipped_to(std::int64_t (*high)(std::int64_t r)) {
  return [high](const BinParams& p, const TokenIds& row, const TokenIds& col) {
    PairBins bins = pair_bins(p, row, col);
    const std::int64_t r = p.r_max;
    if (bins.same_chain) {
      bins.d_res = static_cast<std::int32_t>(clip(static_cast<__int128>(row.residue_index) - col.residue_index + r, high(r)));
      if (row.residue_index == col.residue_index)
        bins.d_tok = static_cast<std::int32_t>(clip(static_cast<__int128>(row.token_index) - col.token_index + r, high(r)));
    }
    return hot_columns(p, bins);
  };
}

Mutant mutant(std::string name, std::string divergence, Faults faults, Exposure exposure = {},
              bool survives_bound = false) {
  Mutant m;
  m.name = name;
  m.divergence = std::move(divergence);
  m.implementation = lookup_implementation("mutant:" + name, std::move(faults));
  m.survives_bound = survives_bound;
  m.exposure = std::move(exposure);
  return m;
}

const Exposure kCyclicOnly{.cyclic = Cyclic::boltz};
const Exposure kBf16RegimesOnly{.precisions = {Precision::bf16, Precision::bf16_autocast}};

// Wrong only in the backward: the forward is the faithful lookup.
std::vector<Mutant> gradient_mutants() {
  std::vector<Mutant> all;
  all.push_back(mutant("grad-entity-dropped", "backward: the same-entity column's weight gradient never accumulated",
                       {.gradient = GradientFault::drop_entity}));
  all.push_back(mutant("grad-chain-mirrored",
                       "backward: chain column k gets the gradient of column 2 s_max + 1 - k (the block reversed)",
                       {.gradient = GradientFault::mirror_chain}));
  all.push_back(mutant("grad-last-pair-skipped",
                       "backward: G of the last pair (N-1, N-1) of each batch element ignored (an off-by-one loop bound)",
                       {.gradient = GradientFault::skip_last_pair}));
  all.push_back(mutant("grad-token-into-residue-block",
                       "backward: the token term's gradient accumulated into the residue block (same bin, wrong block)",
                       {.gradient = GradientFault::wrong_block}));
  all.push_back(mutant("grad-racy-reduction",
                       "backward: two threads add pairs 2k and 2k+1 into the same element without ordering, so one "
                       "add is lost (a non-atomic read-modify-write race)",
                       {.gradient = GradientFault::lost_update}));
  return all;
}

}  // namespace

Implementation faithful_lookup() { return lookup_implementation("faithful-lookup", Faults{}); }

std::vector<Mutant> mutants() {
  std::vector<Mutant> all;
  all.push_back(mutant("chain-term-not-same-chain",
                       "chain term keyed on NOT same_chain (the paper's pseudocode, Boltz without fix_sym_check) "
                       "instead of same_entity",
                       {.columns = [](const BinParams& p, const TokenIds& row, const TokenIds& col) {
                         BinParams paper = p;
                         paper.chain_term_on_same_entity = false;
                         return hot_columns(p, pair_bins(paper, row, col));
                       }},
                       {.variant = Variant::af3}));
  all.push_back(mutant("offsets-j-minus-i", "offsets computed column minus row (j - i) instead of row minus column",
                       {.columns = [](const BinParams& p, const TokenIds& row, const TokenIds& col) {
                         return hot_columns(p, pair_bins(p, col, row));
                       }}));
  all.push_back(mutant("token-without-residue-mask",
                       "d_tok for every same-chain pair: the same-residue mask forgotten",
                       {.columns = [](const BinParams& p, const TokenIds& row, const TokenIds& col) {
                         PairBins bins = pair_bins(p, row, col);
                         if (bins.same_chain)
                           bins.d_tok = static_cast<std::int32_t>(clipped_offset(row.token_index, col.token_index, p.r_max));
                         return hot_columns(p, bins);
                       }}));
  all.push_back(mutant("entity-bit-from-same-chain", "the same_entity column set from same_chain",
                       {.columns = [](const BinParams& p, const TokenIds& row, const TokenIds& col) {
                         PairBins bins = pair_bins(p, row, col);
                         HotColumns hot = hot_columns(p, bins);
                         hot.entity = bins.same_chain ? static_cast<std::int32_t>(4 * p.r_max + 4) : -1;
                         return hot;
                       }}));
  all.push_back(mutant("clip-to-2r-plus-1",
                       "in-chain offsets clipped to 2 r_max + 1 (off by one: far residues land in the other-chain bin)",
                       {.columns = clipped_to([](std::int64_t r) { return 2 * r + 1; })}));
  all.push_back(mutant("clip-to-2r-minus-1", "in-chain offsets clipped to 2 r_max - 1 (off by one the other way)",
                       {.columns = clipped_to([](std::int64_t r) { return 2 * r - 1; })}));
  all.push_back(mutant("no-other-chain-bin",
                       "residue offset clipped for every pair: the other-chain bin 2 r_max + 1 never used",
                       {.columns = [](const BinParams& p, const TokenIds& row, const TokenIds& col) {
                         PairBins bins = pair_bins(p, row, col);
                         bins.d_res = static_cast<std::int32_t>(clipped_offset(row.residue_index, col.residue_index, p.r_max));
                         return hot_columns(p, bins);
                       }}));
  all.push_back(mutant("int32-residue-difference",
                       "residue_index[i] - residue_index[j] + r_max in int32 arithmetic (wraps for residues 2^31 apart)",
                       {.columns = [](const BinParams& p, const TokenIds& row, const TokenIds& col) {
                         PairBins bins = pair_bins(p, row, col);
                         if (bins.same_chain) {
                           const auto wrapped = static_cast<std::int32_t>(static_cast<std::uint32_t>(row.residue_index) -
                                                                          static_cast<std::uint32_t>(col.residue_index) +
                                                                          static_cast<std::uint32_t>(p.r_max));
                           bins.d_res = static_cast<std::int32_t>(clip(wrapped, 2 * p.r_max));
                         }
                         return hot_columns(p, bins);
                       }}));
  all.push_back(mutant("r-max-in-chain-block",
                       "chain block centred with r_max instead of s_max (residue formula copied into the sym term)",
                       {.columns = [](const BinParams& p, const TokenIds& row, const TokenIds& col) {
                         PairBins bins = pair_bins(p, row, col);
                         if (bins.d_chain != 2 * p.s_max + 1)
                           bins.d_chain = static_cast<std::int32_t>(
                               clip(static_cast<__int128>(row.sym_id) - col.sym_id + p.r_max, 2 * p.s_max));
                         return hot_columns(p, bins);
                       }}));
  all.push_back(mutant("residue-token-blocks-swapped", "residue and token one-hots concatenated in the wrong order",
                       {.columns = [](const BinParams& p, const TokenIds& row, const TokenIds& col) {
                         const PairBins bins = pair_bins(p, row, col);
                         HotColumns hot = hot_columns(p, bins);
                         hot.residue = bins.d_tok;
                         hot.token = static_cast<std::int32_t>(2 * p.r_max + 2) + bins.d_res;
                         return hot;
                       }}));
  all.push_back(mutant("last-chunk-dropped",
                       "pair rows split into 8 chunks of rows / 8 (PXDesign's eval split), the remainder never written",
                       {.last_chunk_dropped = true}));
  all.push_back(mutant("batch-element-0-ids", "ids of batch element 0 used for every element (a broadcast bug)",
                       {.batch_element_zero_ids = true}));
  all.push_back(mutant("reordered-sum", "the four terms added as ((chain + entity) + token) + residue",
                       {.reordered_sum = true}, {}, true));
  all.push_back(mutant("bf16-truncated", "bf16 output by truncation instead of round-to-nearest-even",
                       {.bf16_truncated = true}, kBf16RegimesOnly));
  all.push_back(mutant("accumulate-overwrites", "accumulate mode writes z = p instead of z += p",
                       {.accumulate_overwrites = true}));
  all.push_back(mutant("cyclic-period-of-row",
                       "Boltz wrap with the period of the row token i instead of the column token j",
                       {.columns = wrapped_with(WrapFault::row_period)}, kCyclicOnly));
  all.push_back(mutant("cyclic-round-half-away",
                       "Boltz wrap rounding o / P half away from zero (std::round) instead of half to even (torch.round)",
                       {.columns = wrapped_with(WrapFault::half_away_from_zero)}, kCyclicOnly));
  all.push_back(mutant("cyclic-no-fallback",
                       "Boltz wrap without the 10000 fallback: offsets between non-cyclic tokens never fold",
                       {.columns = wrapped_with(WrapFault::no_fallback)}, kCyclicOnly));
  all.push_back(mutant("cyclic-exact-integer-wrap",
                       "Boltz wrap in exact integer arithmetic instead of float32 (differs once |o| passes 2^24)",
                       {.columns = wrapped_with(WrapFault::exact_integers)}, kCyclicOnly));
  all.push_back(mutant("cyclic-wrap-after-clip", "Boltz wrap applied to the clipped offset instead of before the clip",
                       {.columns = wrapped_with(WrapFault::after_clip)}, kCyclicOnly));
  all.push_back(mutant("autocast-without-rounding-w",
                       "bf16-autocast computed without rounding W to bf16 first (the plain bf16 regime)",
                       {.autocast_keeps_weights = true}, {.precisions = {Precision::bf16_autocast}}));
  all.push_back(mutant("bf16-rounds-w", "the plain bf16 regime rounds W to bf16 first, as autocast does",
                       {.bf16_rounds_weights = true}, {.precisions = {Precision::bf16}}));
  all.push_back(mutant("rows-past-64-repeat-row-64",
                       "a 64-row tile kernel that, for N > 64, writes row 64's values into every later row",
                       {.tile_rows = 64}));
  all.push_back(mutant("vector-tail-copies-last-column",
                       "a kernel vectorised over 8 columns that, when N > 64 is no multiple of 8, fills the tail "
                       "column with its neighbour's values",
                       {.tail_width = 8}));
  all.push_back(mutant("bf16-terms-added-in-bf16",
                       "the bf16 regimes add the four terms in bf16 arithmetic (each partial sum rounded)",
                       {.bf16_partial_sums = true}, kBf16RegimesOnly));
  for (Mutant& m : gradient_mutants()) all.push_back(std::move(m));
  return all;
}

bool Exposure::reachable_in(const Scope& scope) const {
  if (variant && !scope.allows(*variant)) return false;
  if (cyclic && !scope.allows(*cyclic)) return false;
  return precisions.empty() ||
         std::any_of(precisions.begin(), precisions.end(), [&](Precision p) { return scope.allows(p); });
}

MutantResult hunt(const Mutant& m, const ProveOptions& options) {
  MutantResult result;
  result.name = m.name;
  result.divergence = m.divergence;
  result.survives_bound = m.survives_bound;
  result.applicable = m.exposure.reachable_in(options.scope);
  if (!result.applicable) return result;
  ProveOptions hunting = options;
  hunting.stop_at_first_failure = true;
  hunting.policy.reset();
  hunting.regressions.clear();  // saved cases were recorded from mutants: they would kill them by construction
  const Report report = prove(m.implementation, hunting);
  result.cases_until_killed = report.cases();
  if (const PropertyResult* failure = report.first_failure()) {
    result.killed = true;
    result.killed_by = failure->property;
    if (failure->counterexample) {
      result.shrunk_tokens = failure->counterexample->value.total_tokens();
      result.shrink_steps = failure->counterexample->shrink_steps;
    }
    result.counterexample = report.failures();
  }
  if (m.survives_bound) {
    // Held as a reordered sum: bound:6 in fp32, rbound:6 in the bf16 regimes.
    Implementation reordered = m.implementation;
    reordered.exact_order = false;
    ProveOptions bounded = options;
    bounded.policy.reset();
    bounded.record_directory.clear();
    bounded.regressions.clear();
    const Report under_bound = prove(reordered, bounded);
    result.passed_bound = under_bound.passed();
    result.bound_cases = under_bound.cases();
    if (!result.passed_bound) result.bound_failure = under_bound.failures();
  }
  return result;
}

}  // namespace relpos::harness
