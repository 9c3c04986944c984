#include "relpos/harness/properties.hpp"

#include <array>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "relpos/backends/registry.hpp"
#include "relpos/harness/gen_scale.hpp"
#include "relpos/harness/gradient_laws.hpp"
#include "relpos/compare.hpp"
#include "relpos/errors.hpp"

namespace relpos::harness {
namespace {

using Tensor = xt::xtensor<float, 4>;
using Override = std::optional<Policy>;

// What every law is checked against: one case, one implementation, the policy override and the scope.
struct Subject {
  const Case& c;
  const Implementation& impl;
  const Override& override;
  const Scope& scope;

  Problem problem() const { return c.problem(); }
  Precision precision() const { return c.config.precision; }
  Policy policy(Precision regime) const { return policy_for(impl, override, regime); }
  // Exact-order implementations must not change a bit; a reordered sum (a GEMM)
  // legitimately rounds differently when the problem's shape changes its blocking.
  Policy determinism_policy() const { return impl.exact_order ? Policy::bitwise() : policy(precision()); }
  Tensor output(const Problem& p) const { return compute_in_precision(impl.run, p); }
};

Case in_regime(const Case& c, Precision precision) {
  Case copy = c;
  copy.config.precision = precision;
  return copy;
}

// The sequential one-hot product in the problem's regime: the bitwise reference.
Tensor reference(const Problem& problem) {
  static const std::unique_ptr<Backend> reference = make_reference_backend();
  return compute_in_precision([](const Problem& p, const PairOutput& out) { reference->run(p, out); }, problem);
}

Verdict verdict(const Comparison& comparison, std::string_view context) {
  if (comparison.passed()) return {};
  return {false, fmt::format("{}\n  {}", context, comparison.report())};
}

// ---- equivalence ---------------------------------------------------------------------------------

Verdict check_equivalence(const Subject& s, Precision regime) {
  const Case c = in_regime(s.c, regime);
  const Problem problem = c.problem();
  return verdict(compare_tensors(problem, reference(problem), s.output(problem), regime, s.policy(regime)),
                 fmt::format("{}: differs from the one-hot reference in the {} regime", to_string(regime),
                             to_string(regime)));
}

// accumulate under a bound: each side of z0 + p is off the exact value by the
// bound of p plus one rounding of the addition. bound:K: K + 2 with z0 as a
// fifth term (any order of the five); rbound:K: got within
// [fl32(z0 + R(S - b)), fl32(z0 + R(S + b))] (fl32 addition is monotone).
Verdict check_accumulate_bound(const Problem& problem, const Tensor& z0, const Tensor& expected, const Tensor& got,
                               const Policy& policy) {
  const BinParams params = problem.bins();
  const Precision regime = problem.config.precision;
  const std::int64_t n = problem.layout.tokens(), channels = problem.config.c_z;
  const bool rounded_bound = policy.kind == Policy::Kind::rounded_bound;
  const double k = rounded_bound ? policy.k : policy.k + 2;
  const double u = rounded_bound ? 0x1p-24 : unit_roundoff(Precision::fp32);
  std::size_t index = 0;
  std::int64_t mismatches = 0;
  std::string first;
  for (std::int64_t b = 0; b < problem.layout.batch(); ++b)
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        const HotColumns hot = hot_columns(params, pair_bins(params, problem.layout.token(b, i), problem.layout.token(b, j)));
        for (std::int64_t c = 0; c < channels; ++c, ++index) {
          const float e = expected.data()[index], g = got.data()[index], z = z0.data()[index];
          if (e == g) continue;
          double exact = 0, magnitude = 0;
          for (const std::int32_t column : {hot.residue, hot.token, hot.entity, hot.chain}) {
            if (column < 0) continue;
            const double term = regime_weight(regime, problem.weights(c, column));
            exact += term;
            magnitude += std::abs(term);
          }
          double low = 0, high = 0;
          if (rounded_bound) {
            const double bound = k * u * magnitude;
            const auto round = [&](double v) { return rounds_result(regime) ? round_to_bf16_exactly(v) : v; };
            // float additions, as the implementation's own: R(.) is a bf16 (or nearest float) value.
            low = z + static_cast<float>(round(exact - bound));
            high = z + static_cast<float>(round(exact + bound));
          } else {
            const double allowed = k * u * (magnitude + std::abs(double{z}));
            low = double{e} - allowed;
            high = double{e} + allowed;
          }
          if (std::isfinite(g) && low <= g && g <= high) continue;
          if (mismatches++ == 0)
            first = fmt::format("pair (i={}, j={}) of batch element {} at channel {}: z0 {:.9g}, expected {:.9g}, got "
                                "{:.9g}, allowed [{:.9g}, {:.9g}] ({} with z0 as a fifth term)",
                                i, j, b, c, z, e, g, low, high, policy.str());
        }
      }
  if (mismatches == 0) return {};
  return {false, fmt::format("accumulate: {} of {} elements differ from z0 + reference\n  first mismatch: {}", mismatches,
                             expected.size(), first)};
}

Verdict check_accumulate(const Subject& s) {
  const Problem problem = s.problem();
  const Tensor z0 = initial_accumulator(s.c);
  Tensor expected = z0;
  const Tensor p = reference(problem);
  for (std::size_t k = 0; k < expected.size(); ++k) expected.data()[k] = z0.data()[k] + p.data()[k];
  Tensor got = z0;
  s.impl.run(problem, PairOutput::accumulate(got));
  const Policy policy = s.policy(s.precision());
  if (policy.kind == Policy::Kind::bound || policy.kind == Policy::Kind::rounded_bound)
    return check_accumulate_bound(problem, z0, expected, got, policy);
  return verdict(compare_tensors(problem, expected, got, Precision::fp32, policy),
                 "accumulate: differs from z0 + reference");
}

// ---- structure -----------------------------------------------------------------------------------

// Probe weights: 8 channels that read back, exactly in any summation order,
// how many columns are hot in total and per block, and which one; any further
// channels (a scope's fixed c_z) are zero.
enum ProbeChannel { total, residue_count, residue_index, token_count, token_index, entity, chain_count, chain_index, kProbeChannels };

Weights probe_weights(const Config& config) {
  const std::int64_t width = config.feature_width();
  Weights w(std::array<std::size_t, 2>{static_cast<std::size_t>(config.c_z), static_cast<std::size_t>(width)}, 0.0f);
  const std::int64_t token0 = config.token_offset(), entity_col = config.entity_column(), chain0 = config.chain_offset();
  for (std::int64_t f = 0; f < width; ++f) {
    w(total, f) = 1;
    if (f < token0) {
      w(residue_count, f) = 1;
      w(residue_index, f) = static_cast<float>(f + 1);
    } else if (f < entity_col) {
      w(token_count, f) = 1;
      w(token_index, f) = static_cast<float>(f - token0 + 1);
    } else if (f == entity_col) {
      w(entity, f) = 1;
    } else {
      w(chain_count, f) = 1;
      w(chain_index, f) = static_cast<float>(f - chain0 + 1);
    }
  }
  return w;
}

// The structural laws of one pair, given what the probe read back for it and its mirror.
// `symmetric_residue`: d_res(j, i) mirrors d_res(i, j) (always, but under the
// Boltz wrap with two different periods: the column token's period is used).
std::string structure_violation(const PairBins& bins, bool same_residue, bool symmetric_residue, std::int64_t r,
                                std::int64_t s, const std::array<float, kProbeChannels>& v,
                                const std::array<float, kProbeChannels>& mirror) {
  const int want = 3 + (bins.same_entity ? 1 : 0);
  if (v[total] != want) return fmt::format("{} hot columns, expected 3 + same_entity = {}", v[total], want);
  if (v[residue_count] != 1 || v[token_count] != 1 || v[chain_count] != 1)
    return "each of the residue, token and chain blocks must have exactly one hot column";
  if (v[entity] != (bins.same_entity ? 1 : 0))
    return fmt::format("entity column is {}, but same_entity is {}", v[entity], int(bins.same_entity));
  const auto bin = [](float value) { return static_cast<std::int64_t>(value) - 1; };
  const std::int64_t got_res = bin(v[residue_index]), got_tok = bin(v[token_index]), got_chain = bin(v[chain_index]);
  if (bins.same_chain && symmetric_residue && got_res + bin(mirror[residue_index]) != 2 * r)
    return fmt::format("in-chain d_res(i,j) + d_res(j,i) = {} + {}, not 2 r_max = {}", got_res,
                       bin(mirror[residue_index]), 2 * r);
  if (bins.same_chain && same_residue && got_tok + bin(mirror[token_index]) != 2 * r)
    return fmt::format("same-residue d_tok(i,j) + d_tok(j,i) = {} + {}, not 2 r_max = {}", got_tok,
                       bin(mirror[token_index]), 2 * r);
  if (bins.d_chain != 2 * s + 1 && got_chain + bin(mirror[chain_index]) != 2 * s)
    return fmt::format("d_chain(i,j) + d_chain(j,i) = {} + {}, not 2 s_max = {}", got_chain, bin(mirror[chain_index]),
                       2 * s);
  if (got_res != bins.d_res || got_tok != bins.d_tok || got_chain != bins.d_chain)
    return fmt::format("hot bins (d_res {}, d_tok {}, d_chain {}) differ from the definition (d_res {}, d_tok {}, "
                       "d_chain {})",
                       got_res, got_tok, got_chain, bins.d_res, bins.d_tok, bins.d_chain);
  return {};
}

Verdict check_structure(const Subject& s) {
  const Case& c = s.c;
  Config config = c.config;
  config.c_z = s.scope.c_z.value_or(kProbeChannels);
  // The probe's bin numbers (up to 2 r_max + 2) are bf16 values only up to 256.
  if (rounds_result(config.precision) && 2 * config.r_max + 2 > 256) {
    if (!s.scope.allows(Precision::fp32)) return {};
    config.precision = Precision::fp32;
  }
  const Weights weights = probe_weights(config);
  const Problem problem{config, c.layout, weights};
  const Tensor out = s.output(problem);
  const BinParams params = problem.bins();
  const std::int64_t n = c.layout.tokens();
  const auto read = [&](std::int64_t b, std::int64_t i, std::int64_t j) {
    std::array<float, kProbeChannels> v{};
    for (int channel = 0; channel < kProbeChannels; ++channel) v[channel] = out(b, i, j, channel);
    return v;
  };
  const auto fail = [&](std::int64_t b, std::int64_t i, std::int64_t j, const std::string& law) {
    const TokenIds row = c.layout.token(b, i), col = c.layout.token(b, j);
    const auto v = read(b, i, j);
    return Verdict{false, fmt::format("structure: {}\n  at pair (i={}, j={}) of batch element {}: row asym={} residue={} "
                                      "entity={} sym={} token={} period={}, col asym={} residue={} entity={} sym={} "
                                      "token={} period={}\n  probe read back: {} hot columns; residue block {} hot, bin "
                                      "{}; token block {} hot, bin {}; entity {}; chain block {} hot, bin {}",
                                      law, i, j, b, row.asym_id, row.residue_index, row.entity_id, row.sym_id,
                                      row.token_index, row.cyclic_period, col.asym_id, col.residue_index, col.entity_id,
                                      col.sym_id, col.token_index, col.cyclic_period, v[total], v[residue_count],
                                      v[residue_index] - 1, v[token_count], v[token_index] - 1, v[entity],
                                      v[chain_count], v[chain_index] - 1)};
  };
  // Every value first: the laws below read mirrored pairs too.
  for (std::int64_t b = 0; b < c.layout.batch(); ++b)
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < n; ++j)
        for (int channel = 0; channel < kProbeChannels; ++channel) {
          const float v = out(b, i, j, channel);
          if (!std::isfinite(v) || v != std::round(v) || std::abs(v) > 1e6f)
            return fail(b, i, j, fmt::format("probe channel {} is {} (not a sum of one-hot columns: unwritten or "
                                             "mixed values)", channel, v));
        }
  for (std::int64_t b = 0; b < c.layout.batch(); ++b)
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        const TokenIds row = c.layout.token(b, i), col = c.layout.token(b, j);
        const PairBins bins = pair_bins(params, row, col);
        const auto period = [](const TokenIds& t) { return t.cyclic_period > 0 ? t.cyclic_period : kBoltzFallbackPeriod; };
        const bool symmetric = !params.wrap || period(row) == period(col);
        const std::string law = structure_violation(bins, row.residue_index == col.residue_index, symmetric,
                                                    config.r_max, config.s_max, read(b, i, j), read(b, j, i));
        if (!law.empty()) return fail(b, i, j, law);
      }
  return {};
}

// ---- metamorphic relations -----------------------------------------------------------------------

// The output for a transformed layout against the original output.
Verdict check_invariance(const Subject& s, const Layout& changed, std::string_view what) {
  const Tensor original = s.output(s.problem());
  const Problem changed_problem{s.c.config, changed, s.c.weights};
  return verdict(compare_tensors(changed_problem, original, s.output(changed_problem), s.precision(),
                                 s.policy(s.precision())),
                 fmt::format("{}: the output changed (expected: the original layout's output; got: the changed "
                             "layout's, whose ids the report shows)",
                             what));
}

Verdict check_permutation(const Subject& s) {
  const std::vector<std::int64_t>& permutation = s.c.transform.permutation;
  const Tensor original = s.output(s.problem());
  const Problem permuted{s.c.config, permute_tokens(s.c.layout, permutation), s.c.weights};
  return verdict(compare_tensors(permuted, permute_pairs(original, permutation), s.output(permuted), s.precision(),
                                 s.policy(s.precision())),
                 fmt::format("permutation: the permuted layout's output is not the permuted output (permutation [{}])",
                             fmt::join(permutation, ", ")));
}

Verdict check_field_shift(const Subject& s, IdField field, std::int64_t shift, std::string_view name) {
  return check_invariance(s, add_to_field(s.c.layout, field, shift), fmt::format("{} ({} {:+})", name, to_string(field), shift));
}

// Batch element b's output slice compared with `alone`, bit for bit (or the determinism policy).
Verdict compare_slice(const Subject& s, const Problem& alone, const Tensor& whole, std::int64_t b, const Tensor& got,
                      std::string_view context) {
  const std::size_t slice = got.size();
  const std::span<const float> expected(whole.data() + static_cast<std::size_t>(b) * slice, slice);
  const Comparison comparison =
      compare(alone, expected, {got.data(), got.size()}, s.precision(), s.determinism_policy());
  if (comparison.passed()) return {};
  return {false, fmt::format("{}\n  {}", context, comparison.report())};
}

Verdict check_batch_split(const Subject& s) {
  const Case& c = s.c;
  if (c.layout.batch() > 1 || c.layout.batched) {
    const Tensor whole = s.output(c.problem());
    const bool batch_wraps = c.problem().bins().wrap;
    for (std::int64_t b = 0; b < c.layout.batch(); ++b) {
      const Layout element = c.layout.element(b);
      const Problem alone{c.config, element, c.weights};
      // Boltz decides the wrap over the whole batch: an element without cyclic
      // tokens batched with a cyclic one legitimately changes (SPEC.md part 2).
      if (alone.bins().wrap != batch_wraps) continue;
      const Verdict v = compare_slice(s, alone, whole, b, s.output(alone),
                                      fmt::format("batch-split: batch element {} computed alone differs from the same "
                                                  "element inside the batch of {}",
                                                  b, c.layout.batch()));
      if (!v.passed) return v;
    }
    return {};
  }
  // One unbatched complex: as a batch of two copies, each half must equal it.
  const Tensor alone = s.output(c.problem());
  const std::vector<Layout> copies = {c.layout, c.layout};
  const Tensor both = s.output(Problem{c.config, Layout::stack(copies), c.weights});
  for (std::int64_t b = 0; b < 2; ++b) {
    const Verdict v = compare_slice(s, c.problem(), both, b, alone,
                                    fmt::format("batch-split: element {} of a batch of two copies differs from the "
                                                "layout computed unbatched (expected: the batch's slice)",
                                                b));
    if (!v.passed) return v;
  }
  return {};
}

Verdict check_options(const Subject& s, const BackendOptions& changed, const BackendOptions& baseline,
                      std::string_view what) {
  const Problem problem = s.problem();
  const Tensor expected = compute_in_precision(s.impl.configure(baseline), problem);
  const Tensor got = compute_in_precision(s.impl.configure(changed), problem);
  return verdict(compare_tensors(problem, expected, got, s.precision(), s.determinism_policy()), what);
}

Verdict check_cyclic_shift(const Subject& s) {
  const Layout shifted = shift_by_periods(s.c.layout, s.c.transform.period_multiple);
  if (shifted == s.c.layout) return {};  // no odd-period cyclic chain to shift in this case
  return check_invariance(s, shifted,
                          fmt::format("cyclic-shift ({:+} periods on the odd residues of each odd-period cyclic chain)",
                                      s.c.transform.period_multiple));
}

// The proven host lookup at scale (the reference is N^2 F c_z), or the
// reference when the subject is that lookup itself.
Tensor scale_expected(const Problem& problem, const Implementation& impl) {
  static const std::string lookup_name = default_backend_name();
  static const std::unique_ptr<Backend> lookup = make_backend(lookup_name);
  if (impl.name == lookup_name) return reference(problem);
  return compute_in_precision([](const Problem& p, const PairOutput& out) { lookup->run(p, out); }, problem);
}

// What a probe channel's value says the implementation used: "token bin 3",
// "no column" (0: unwritten or dropped), or a value no single column gives.
std::string probe_term(std::int64_t channel, float value) {
  static constexpr std::array<const char*, 4> kTerms = {"residue bin", "token bin", "entity bit", "chain bin"};
  if (channel == 2) return value == 0 || value == 1 ? fmt::format("entity bit {}", value) : fmt::format("{:.9g} (no bit)", value);
  if (value == 0) return fmt::format("no {} column (0: unwritten or dropped)", kTerms[channel]);
  if (value == std::floor(value) && value >= 1) return fmt::format("{} {}", kTerms[channel], value - 1);
  return fmt::format("{:.9g} (no single {} column)", value, kTerms[channel]);
}

// With probe weights the first differing element names the term: its channel
// is one of the four, and its value is the bin the implementation used.
std::string probe_reading(const Comparison& comparison) {
  if (!comparison.first_mismatch || comparison.first_mismatch->at.c >= 4) return "";
  const ElementReport& m = *comparison.first_mismatch;
  static constexpr std::array<const char*, 4> kNames = {"residue", "token", "same-entity", "chain"};
  return fmt::format("\n  probe reading of channel {} at that pair: the implementation used {} where the SPEC gives {}: "
                     "the {} term differs",
                     m.at.c, probe_term(m.at.c, m.got), probe_term(m.at.c, m.expected), kNames[m.at.c]);
}

Verdict check_scale(const Subject& s) {
  const Problem problem = s.problem();
  // Probe weights sum exactly in any order: bitwise holds for every implementation.
  const bool probe = s.c.weights == scale_probe_weights(s.c.config);
  const Policy policy = s.override ? *s.override : probe ? Policy::bitwise() : s.policy(s.precision());
  const Tensor expected = scale_expected(problem, s.impl);
  const Comparison comparison = compare_tensors(problem, expected, s.output(problem), s.precision(), policy);
  Verdict result = verdict(comparison, fmt::format("scale: N = {}{} differs from the proven lookup{}",
                                                   problem.layout.tokens(),
                                                   problem.layout.batch() > 1
                                                       ? fmt::format(" x {} elements", problem.layout.batch())
                                                       : "",
                                                   probe ? fmt::format(" ({})", scale_probe_legend()) : ""));
  if (!result.passed && probe) result.report += probe_reading(comparison);
  return result;
}

// ---- applicability ---------------------------------------------------------------------------------

std::string outside_scope(Precision precision, const Scope& scope) {
  return scope.allows(precision) ? "" : fmt::format("precision {} is outside the scope", to_string(precision));
}

std::string needs_regime(Precision precision, const Implementation& impl, const Scope& scope) {
  if (std::string why = outside_scope(precision, scope); !why.empty()) return why;
  const bool mode = rounds_result(precision) ? impl.modes.write_bf16 : impl.modes.write_fp32;
  return mode ? "" : fmt::format("no {} output mode", rounds_result(precision) ? "bf16" : "fp32");
}

std::string any_regime(const Implementation& impl, const Scope& scope) {
  for (Precision p : {Precision::fp32, Precision::bf16, Precision::bf16_autocast})
    if (needs_regime(p, impl, scope).empty()) return "";
  return "no output mode of a precision in the scope";
}

std::string needs_options(const Implementation& impl, const Scope& scope) {
  if (!impl.configure) return "no chunk/thread options to vary";
  return any_regime(impl, scope);
}

// ---- the table -----------------------------------------------------------------------------------

struct PropertyInfo {
  Property property;
  std::string_view name;
  std::string_view law;
  std::string (*applies)(const Implementation&, const Scope&);  ///< empty string: applies
  Verdict (*check)(const Subject&);
  bool scale_tier = false;  ///< its cases come from gen::scale_case
  bool gradient = false;    ///< it checks the backward
};

const PropertyInfo kProperties[] = {
    {Property::fp32, "fp32", "write_fp32 equals the one-hot reference",
     [](const Implementation& i, const Scope& s) { return needs_regime(Precision::fp32, i, s); },
     [](const Subject& s) { return check_equivalence(s, Precision::fp32); }},
    {Property::bf16, "bf16", "write_bf16 equals the reference sum rounded once to bf16",
     [](const Implementation& i, const Scope& s) { return needs_regime(Precision::bf16, i, s); },
     [](const Subject& s) { return check_equivalence(s, Precision::bf16); }},
    {Property::bf16_autocast, "bf16-autocast",
     "under bf16 autocast (W rounded to bf16 first, fp32 sum, one rounding) write_bf16 equals the reference's",
     [](const Implementation& i, const Scope& s) { return needs_regime(Precision::bf16_autocast, i, s); },
     [](const Subject& s) { return check_equivalence(s, Precision::bf16_autocast); }},
    {Property::accumulate, "accumulate", "accumulate mode turns z0 into z0 + reference",
     [](const Implementation& i, const Scope& s) {
       return i.modes.accumulate ? any_regime(i, s) : std::string("no accumulate mode");
     },
     check_accumulate},
    {Property::structure, "structure",
     "each pair sets exactly 3 + same_entity one-hot columns, one per block, and in-chain offsets are antisymmetric",
     [](const Implementation& i, const Scope& s) {
       if (s.c_z && *s.c_z < kProbeChannels)
         return fmt::format("c_z {} leaves no room for the {} probe channels", *s.c_z, int{kProbeChannels});
       return any_regime(i, s);
     },
     check_structure},
    {Property::permutation, "permutation", "permuting the tokens permutes the output's rows and columns", any_regime,
     check_permutation},
    {Property::residue_shift, "residue-shift", "adding a constant to every residue_index changes nothing", any_regime,
     [](const Subject& s) {
       return check_field_shift(s, IdField::residue_index, s.c.transform.residue_shift, "residue-shift");
     }},
    {Property::token_shift, "token-shift", "adding a constant to every token_index changes nothing", any_regime,
     [](const Subject& s) { return check_field_shift(s, IdField::token_index, s.c.transform.token_shift, "token-shift"); }},
    {Property::sym_shift, "sym-shift", "adding a constant to every sym_id changes nothing", any_regime,
     [](const Subject& s) { return check_field_shift(s, IdField::sym_id, s.c.transform.sym_shift, "sym-shift"); }},
    {Property::asym_relabel, "asym-relabel", "a bijective relabelling of asym_id changes nothing", any_regime,
     [](const Subject& s) {
       return check_invariance(s, relabel_field(s.c.layout, IdField::asym_id, s.c.transform.asym_relabelling),
                               "asym-relabel");
     }},
    {Property::entity_relabel, "entity-relabel", "a bijective relabelling of entity_id changes nothing", any_regime,
     [](const Subject& s) {
       return check_invariance(s, relabel_field(s.c.layout, IdField::entity_id, s.c.transform.entity_relabelling),
                               "entity-relabel");
     }},
    {Property::batch_split, "batch-split",
     "a batch computed at once equals its elements computed alone, bit for bit (where Boltz's whole-batch wrap rule "
     "agrees)",
     any_regime, check_batch_split},
    {Property::chunk_rows, "chunk-rows", "another chunk size changes not a single bit", needs_options,
     [](const Subject& s) {
       return check_options(s, BackendOptions{.threads = 1, .chunk_rows = s.c.transform.chunk_rows},
                            BackendOptions{.threads = 1},
                            fmt::format("chunk-rows: {} rows per chunk changed the output", s.c.transform.chunk_rows));
     }},
    {Property::threads, "threads", "another thread count changes not a single bit", needs_options,
     [](const Subject& s) {
       return check_options(s, BackendOptions{.threads = s.c.transform.threads}, BackendOptions{.threads = 1},
                            fmt::format("threads: {} threads changed the output of 1 thread", s.c.transform.threads));
     }},
    {Property::cyclic_shift, "cyclic-shift",
     "under cyclic = boltz, adding whole periods to the residue_index of odd residues of an odd-period cyclic chain "
     "changes nothing",
     [](const Implementation& i, const Scope& s) {
       return s.allows(Cyclic::boltz) ? any_regime(i, s) : std::string("cyclic boltz is outside the scope");
     },
     [](const Subject& s) { return s.c.config.cyclic == Cyclic::boltz ? check_cyclic_shift(s) : Verdict{}; }},
    {Property::scale, "scale",
     "past one tile (N = 65 .. 2049 at 2^k - 1, 2^k, 2^k + 1 and multiples of 8/32/128 past them) the output equals "
     "the proven lookup, pair by pair",
     any_regime, check_scale, true},
    {Property::grad, "grad",
     "the weight gradient dW equals the sequential reference's (bitwise in its order, else within the any-order "
     "bound)",
     detail::needs_backward, [](const Subject& s) { return detail::check_gradient(s.c, s.impl); }, false, true},
    {Property::grad_permutation, "grad-permutation",
     "permuting the tokens, and G with them, leaves dW within the any-order bound of the original's sums",
     detail::needs_backward, [](const Subject& s) { return detail::check_gradient_permutation(s.c, s.impl); }, false,
     true},
    {Property::grad_additivity, "grad-additivity",
     "dW of G split into two row ranges, and of each batch element alone, adds up to dW",
     detail::needs_backward, [](const Subject& s) { return detail::check_gradient_additivity(s.c, s.impl); }, false,
     true},
    {Property::grad_column_sums, "grad-column-sums",
     "per channel, the residue, token and chain blocks of dW each sum to the sum of G over all pairs",
     detail::needs_backward, [](const Subject& s) { return detail::check_gradient_column_sums(s.c, s.impl); }, false,
     true},
    {Property::grad_threads, "grad-threads",
     "another thread count changes not a single bit of dW (a backward with a fixed reduction order; a threaded "
     "GEMM stays within the any-order bound)",
     detail::needs_backward_options, [](const Subject& s) { return detail::check_gradient_threads(s.c, s.impl); },
     false, true},
};

const PropertyInfo& info(Property property) {
  for (const PropertyInfo& entry : kProperties)
    if (entry.property == property) return entry;
  throw std::logic_error("property without a table entry");
}

}  // namespace

std::span<const Property> all_properties() {
  static const auto kAll = [] {
    std::vector<Property> all;
    for (const PropertyInfo& entry : kProperties) all.push_back(entry.property);
    return all;
  }();
  return kAll;
}

std::string_view to_string(Property property) { return info(property).name; }

Property parse_property(std::string_view name) {
  std::string known;
  for (const PropertyInfo& entry : kProperties) {
    if (entry.name == name) return entry.property;
    known += (known.empty() ? "" : ", ") + std::string(entry.name);
  }
  throw InputError(fmt::format("unknown property '{}' (known: {})", name, known));
}

std::string_view describe(Property property) { return info(property).law; }

bool uses_scale_tier(Property property) { return info(property).scale_tier; }

bool is_gradient_property(Property property) { return info(property).gradient; }

std::string not_applicable(Property property, const Implementation& impl, const Scope& scope) {
  return info(property).applies(impl, scope);
}

Policy policy_for(const Implementation& impl, const std::optional<Policy>& override, Precision precision) {
  if (override) return *override;
  return policy_for_backend(Policy::bitwise(), impl.exact_order, precision);
}

std::string describe_policy(const Implementation& impl, const std::optional<Policy>& override) {
  const std::string gradient = impl.backward ? ", dW " + gradient_policy_for(impl).str() : std::string();
  if (override || impl.exact_order) return policy_for(impl, override).str() + gradient;
  return fmt::format("{} (fp32), {} (bf16 regimes){}", reordered_sum_policy(Precision::fp32).str(),
                     reordered_sum_policy(Precision::bf16).str(), gradient);
}

Verdict check(Property property, const Case& c, const Implementation& impl, const std::optional<Policy>& override,
              const Scope& scope) {
  validate(c);
  if (const std::string why = not_applicable(property, impl, scope); !why.empty())
    throw InputError(fmt::format("{} does not apply to {}: {}", to_string(property), impl.name, why));
  try {
    return info(property).check(Subject{c, impl, override, scope});
  } catch (const FatalError&) {
    throw;
  } catch (const std::exception& e) {
    return {false, fmt::format("{}: the implementation threw: {}", to_string(property), e.what())};
  } catch (...) {
    return {false, fmt::format("{}: the implementation threw a non-standard exception", to_string(property))};
  }
}

}  // namespace relpos::harness
