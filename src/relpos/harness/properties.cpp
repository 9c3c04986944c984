#include "relpos/harness/properties.hpp"

#include <array>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "relpos/compare.hpp"
#include "relpos/errors.hpp"

namespace relpos::harness {
namespace {

using Tensor = xt::xtensor<float, 4>;

struct PropertyInfo {
  Property property;
  std::string_view name;
  std::string_view law;
};

constexpr std::array<PropertyInfo, 13> kProperties = {{
    {Property::fp32, "fp32", "write_fp32 equals the one-hot reference"},
    {Property::bf16, "bf16", "write_bf16 equals the reference sum rounded once to bf16"},
    {Property::accumulate, "accumulate", "accumulate mode turns z0 into z0 + reference"},
    {Property::structure, "structure",
     "each pair sets exactly 3 + same_entity one-hot columns, one per block, and in-chain offsets are antisymmetric"},
    {Property::permutation, "permutation", "permuting the tokens permutes the output's rows and columns"},
    {Property::residue_shift, "residue-shift", "adding a constant to every residue_index changes nothing"},
    {Property::token_shift, "token-shift", "adding a constant to every token_index changes nothing"},
    {Property::sym_shift, "sym-shift", "adding a constant to every sym_id changes nothing"},
    {Property::asym_relabel, "asym-relabel", "a bijective relabelling of asym_id changes nothing"},
    {Property::entity_relabel, "entity-relabel", "a bijective relabelling of entity_id changes nothing"},
    {Property::batch_split, "batch-split", "a batch computed at once equals its elements computed alone, bit for bit"},
    {Property::chunk_rows, "chunk-rows", "another chunk size changes not a single bit"},
    {Property::threads, "threads", "another thread count changes not a single bit"},
}};

Tensor reference_fp32(const Problem& problem) {
  static const std::unique_ptr<Backend> onehot = make_backend("onehot");
  return compute_fp32(*onehot, problem);
}

Verdict verdict(const Comparison& comparison, std::string_view context) {
  if (comparison.passed()) return {};
  return {false, fmt::format("{}\n  {}", context, comparison.report())};
}

// accumulate under bound:K: each side of z0 + t1 + .. + t4 is off the exact sum
// by at most 4 u (|z0| + sum |t|) in any order, so K + 2 covers what K covers for p.
Verdict check_accumulate_bound(const Problem& problem, const Tensor& z0, const Tensor& expected, const Tensor& got,
                               const Policy& policy) {
  const BinParams params = problem.bins();
  const std::int64_t n = problem.layout.tokens(), channels = problem.config.c_z;
  const double k = policy.k + 2;
  const double u = unit_roundoff(Precision::fp32);
  std::size_t index = 0;
  std::int64_t mismatches = 0;
  std::string first;
  for (std::int64_t b = 0; b < problem.layout.batch(); ++b)
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        const TokenIds row = problem.layout.token(b, i), col = problem.layout.token(b, j);
        const PairBins bins = pair_bins(params, row, col);
        const HotColumns hot = hot_columns(params, bins);
        for (std::int64_t c = 0; c < channels; ++c, ++index) {
          const float e = expected.data()[index], g = got.data()[index];
          if (e == g) continue;
          const Weights& w = problem.weights;
          double magnitude = std::abs(double{z0.data()[index]}) + std::abs(double{w(c, hot.residue)}) +
                             std::abs(double{w(c, hot.token)}) + std::abs(double{w(c, hot.chain)});
          if (hot.entity >= 0) magnitude += std::abs(double{w(c, hot.entity)});
          const double allowed = k * u * magnitude;
          const double error = std::abs(double{g} - double{e});
          if (!std::isnan(error) && error <= allowed) continue;
          if (mismatches++ == 0)
            first = fmt::format("pair (i={}, j={}) of batch element {} at channel {}: z0 {:.9g}, expected {:.9g}, got "
                                "{:.9g}, |err| {:.3g} > allowed {:.3g} (bound:{:g} with z0 as a fifth term)",
                                i, j, b, c, z0.data()[index], e, g, error, allowed, k);
        }
      }
  if (mismatches == 0) return {};
  return {false, fmt::format("accumulate: {} of {} elements differ from z0 + reference\n  first mismatch: {}", mismatches,
                             expected.size(), first)};
}

// Probe weights: 8 channels that read back, exactly in any summation order,
// how many columns are hot in total and per block, and which one.
enum ProbeChannel { total, residue_count, residue_index, token_count, token_index, entity, chain_count, chain_index, kProbeChannels };

Weights probe_weights(const Config& config) {
  const std::int64_t width = config.feature_width();
  Weights w(std::array<std::size_t, 2>{kProbeChannels, static_cast<std::size_t>(width)}, 0.0f);
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

Verdict check_structure(const Case& c, const Implementation& impl) {
  Config config = c.config;
  config.c_z = kProbeChannels;
  const Weights weights = probe_weights(config);
  const Problem problem{config, c.layout, weights};
  const Tensor out = compute_fp32(impl.run, problem);
  const BinParams params = problem.bins();
  const std::int64_t n = c.layout.tokens(), r = config.r_max, s = config.s_max;
  const auto at = [&](std::int64_t b, std::int64_t i, std::int64_t j, int channel) { return out(b, i, j, channel); };
  const auto where = [&](std::int64_t b, std::int64_t i, std::int64_t j) {
    const TokenIds row = c.layout.token(b, i), col = c.layout.token(b, j);
    return fmt::format("pair (i={}, j={}) of batch element {}: row asym={} residue={} entity={} sym={} token={}, col "
                       "asym={} residue={} entity={} sym={} token={}",
                       i, j, b, row.asym_id, row.residue_index, row.entity_id, row.sym_id, row.token_index,
                       col.asym_id, col.residue_index, col.entity_id, col.sym_id, col.token_index);
  };
  const auto fail = [&](std::int64_t b, std::int64_t i, std::int64_t j, std::string law) {
    return Verdict{false, fmt::format("structure: {}\n  at {}\n  probe read back: {} hot columns; residue block {} hot, "
                                      "bin {}; token block {} hot, bin {}; entity {}; chain block {} hot, bin {}",
                                      law, where(b, i, j), at(b, i, j, total), at(b, i, j, residue_count),
                                      at(b, i, j, residue_index) - 1, at(b, i, j, token_count),
                                      at(b, i, j, token_index) - 1, at(b, i, j, entity), at(b, i, j, chain_count),
                                      at(b, i, j, chain_index) - 1)};
  };
  // Every value first: the laws below read mirrored pairs too.
  for (std::int64_t b = 0; b < c.layout.batch(); ++b)
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < n; ++j)
        for (int channel = 0; channel < kProbeChannels; ++channel) {
          const float v = at(b, i, j, channel);
          if (!std::isfinite(v) || v != std::round(v) || std::abs(v) > 1e6f)
            return fail(b, i, j, fmt::format("probe channel {} is {} (not a sum of one-hot columns: unwritten or "
                                             "mixed values)", channel, v));
        }
  for (std::int64_t b = 0; b < c.layout.batch(); ++b)
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        const PairBins bins = pair_bins(params, c.layout.token(b, i), c.layout.token(b, j));
        const int want = 3 + (bins.same_entity ? 1 : 0);
        if (at(b, i, j, total) != want)
          return fail(b, i, j, fmt::format("{} hot columns, expected 3 + same_entity = {}", at(b, i, j, total), want));
        if (at(b, i, j, residue_count) != 1 || at(b, i, j, token_count) != 1 || at(b, i, j, chain_count) != 1)
          return fail(b, i, j, "each of the residue, token and chain blocks must have exactly one hot column");
        if (at(b, i, j, entity) != (bins.same_entity ? 1 : 0))
          return fail(b, i, j, fmt::format("entity column is {}, but same_entity is {}", at(b, i, j, entity),
                                           int(bins.same_entity)));
        const auto got_res = static_cast<std::int64_t>(at(b, i, j, residue_index)) - 1;
        const auto got_tok = static_cast<std::int64_t>(at(b, i, j, token_index)) - 1;
        const auto got_chain = static_cast<std::int64_t>(at(b, i, j, chain_index)) - 1;
        const auto mirror = [&](int channel) { return static_cast<std::int64_t>(at(b, j, i, channel)) - 1; };
        if (bins.same_chain && got_res + mirror(residue_index) != 2 * r)
          return fail(b, i, j, fmt::format("in-chain d_res(i,j) + d_res(j,i) = {} + {}, not 2 r_max = {}", got_res,
                                           mirror(residue_index), 2 * r));
        const bool same_residue = c.layout.residue_index(b, i) == c.layout.residue_index(b, j);
        if (bins.same_chain && same_residue && got_tok + mirror(token_index) != 2 * r)
          return fail(b, i, j, fmt::format("same-residue d_tok(i,j) + d_tok(j,i) = {} + {}, not 2 r_max = {}", got_tok,
                                           mirror(token_index), 2 * r));
        if (bins.d_chain != 2 * s + 1 && got_chain + mirror(chain_index) != 2 * s)
          return fail(b, i, j, fmt::format("d_chain(i,j) + d_chain(j,i) = {} + {}, not 2 s_max = {}", got_chain,
                                           mirror(chain_index), 2 * s));
        if (got_res != bins.d_res || got_tok != bins.d_tok || got_chain != bins.d_chain)
          return fail(b, i, j, fmt::format("hot bins (d_res {}, d_tok {}, d_chain {}) differ from the definition "
                                           "(d_res {}, d_tok {}, d_chain {})",
                                           got_res, got_tok, got_chain, bins.d_res, bins.d_tok, bins.d_chain));
      }
  return {};
}

// The output for a transformed layout against the original output (same policy).
Verdict check_invariance(const Case& c, const Implementation& impl, const Policy& policy, const Layout& changed,
                         std::string_view what) {
  const Tensor original = compute_fp32(impl.run, c.problem());
  const Problem changed_problem{c.config, changed, c.weights};
  const Tensor got = compute_fp32(impl.run, changed_problem);
  return verdict(compare_tensors(changed_problem, original, got, Precision::fp32, policy),
                 fmt::format("{}: the output changed (expected: the original layout's output; got: the changed "
                             "layout's, whose ids the report shows)",
                             what));
}

// Exact-order implementations must not change a bit; a reordered sum (a GEMM)
// legitimately rounds differently when the problem's shape changes its blocking.
Policy determinism_policy(const Implementation& impl, const Policy& policy) {
  return impl.exact_order ? Policy::bitwise() : policy;
}

Verdict check_batch_split(const Case& c, const Implementation& impl, const Policy& policy) {
  const Policy exact = determinism_policy(impl, policy);
  if (c.layout.batch() > 1 || c.layout.batched) {
    const Tensor whole = compute_fp32(impl.run, c.problem());
    const std::size_t slice = whole.size() / static_cast<std::size_t>(c.layout.batch());
    for (std::int64_t b = 0; b < c.layout.batch(); ++b) {
      const Layout element = c.layout.element(b);
      const Problem alone{c.config, element, c.weights};
      const Tensor got = compute_fp32(impl.run, alone);
      const std::span<const float> expected(whole.data() + static_cast<std::size_t>(b) * slice, slice);
      const Comparison comparison = compare(alone, expected, {got.data(), got.size()}, Precision::fp32, exact);
      if (!comparison.passed())
        return {false, fmt::format("batch-split: batch element {} computed alone differs from the same element "
                                   "inside the batch of {}\n  {}",
                                   b, c.layout.batch(), comparison.report())};
    }
    return {};
  }
  // One unbatched complex: as a batch of two copies, each half must equal it.
  const Tensor alone = compute_fp32(impl.run, c.problem());
  const std::vector<Layout> copies = {c.layout, c.layout};
  const Layout twice = Layout::stack(copies);
  const Problem batch{c.config, twice, c.weights};
  const Tensor both = compute_fp32(impl.run, batch);
  for (std::int64_t b = 0; b < 2; ++b) {
    const std::span<const float> got(both.data() + static_cast<std::size_t>(b) * alone.size(), alone.size());
    const Comparison comparison = compare(c.problem(), {alone.data(), alone.size()}, got, Precision::fp32, exact);
    if (!comparison.passed())
      return {false, fmt::format("batch-split: element {} of a batch of two copies differs from the layout computed "
                                 "unbatched\n  {}",
                                 b, comparison.report())};
  }
  return {};
}

Verdict check_options(const Case& c, const Implementation& impl, const Policy& policy, const BackendOptions& changed,
                      const BackendOptions& baseline, std::string_view what) {
  const Tensor expected = compute_fp32(impl.configure(baseline), c.problem());
  const Tensor got = compute_fp32(impl.configure(changed), c.problem());
  return verdict(compare_tensors(c.problem(), expected, got, Precision::fp32, determinism_policy(impl, policy)), what);
}

Verdict check_unguarded(Property property, const Case& c, const Implementation& impl, const Policy& policy) {
  const Problem problem = c.problem();
  const Transform& t = c.transform;
  switch (property) {
    case Property::fp32:
      return verdict(compare_tensors(problem, reference_fp32(problem), compute_fp32(impl.run, problem), Precision::fp32,
                                     policy),
                     "fp32: differs from the one-hot reference");
    case Property::bf16: {
      Tensor rounded = reference_fp32(problem);
      for (float& v : rounded) v = round_to_bf16(v);
      return verdict(compare_tensors(problem, rounded, compute_bf16_as_float(impl.run, problem), Precision::bf16, policy),
                     "bf16: differs from the reference rounded once to bf16");
    }
    case Property::accumulate: {
      const Tensor z0 = initial_accumulator(c);
      Tensor expected = reference_fp32(problem);
      for (std::size_t k = 0; k < expected.size(); ++k) expected.data()[k] = z0.data()[k] + expected.data()[k];
      Tensor got = z0;
      impl.run(problem, PairOutput::accumulate(got));
      if (policy.kind == Policy::Kind::bound) return check_accumulate_bound(problem, z0, expected, got, policy);
      return verdict(compare_tensors(problem, expected, got, Precision::fp32, policy),
                     "accumulate: differs from z0 + reference");
    }
    case Property::structure: return check_structure(c, impl);
    case Property::permutation: {
      const Tensor original = compute_fp32(impl.run, problem);
      const Layout permuted = permute_tokens(c.layout, t.permutation);
      const Problem permuted_problem{c.config, permuted, c.weights};
      const Tensor got = compute_fp32(impl.run, permuted_problem);
      return verdict(compare_tensors(permuted_problem, permute_pairs(original, t.permutation), got, Precision::fp32,
                                     policy),
                     fmt::format("permutation: the permuted layout's output is not the permuted output "
                                 "(permutation [{}])",
                                 fmt::join(t.permutation, ", ")));
    }
    case Property::residue_shift:
      return check_invariance(c, impl, policy, add_to_field(c.layout, IdField::residue_index, t.residue_shift),
                              fmt::format("residue-shift (residue_index {:+})", t.residue_shift));
    case Property::token_shift:
      return check_invariance(c, impl, policy, add_to_field(c.layout, IdField::token_index, t.token_shift),
                              fmt::format("token-shift (token_index {:+})", t.token_shift));
    case Property::sym_shift:
      return check_invariance(c, impl, policy, add_to_field(c.layout, IdField::sym_id, t.sym_shift),
                              fmt::format("sym-shift (sym_id {:+})", t.sym_shift));
    case Property::asym_relabel:
      return check_invariance(c, impl, policy, relabel_field(c.layout, IdField::asym_id, t.asym_relabelling),
                              "asym-relabel");
    case Property::entity_relabel:
      return check_invariance(c, impl, policy, relabel_field(c.layout, IdField::entity_id, t.entity_relabelling),
                              "entity-relabel");
    case Property::batch_split: return check_batch_split(c, impl, policy);
    case Property::chunk_rows:
      return check_options(c, impl, policy, BackendOptions{.threads = 1, .chunk_rows = t.chunk_rows},
                           BackendOptions{.threads = 1}, fmt::format("chunk-rows: {} rows per chunk changed the output",
                                                                     t.chunk_rows));
    case Property::threads:
      return check_options(c, impl, policy, BackendOptions{.threads = t.threads}, BackendOptions{.threads = 1},
                           fmt::format("threads: {} threads changed the output of 1 thread", t.threads));
  }
  return {};
}

}  // namespace

std::span<const Property> all_properties() {
  static const std::array<Property, kProperties.size()> kAll = [] {
    std::array<Property, kProperties.size()> all{};
    for (std::size_t k = 0; k < kProperties.size(); ++k) all[k] = kProperties[k].property;
    return all;
  }();
  return kAll;
}

std::string_view to_string(Property property) {
  for (const PropertyInfo& info : kProperties)
    if (info.property == property) return info.name;
  return "?";
}

Property parse_property(std::string_view name) {
  std::string known;
  for (const PropertyInfo& info : kProperties) {
    if (info.name == name) return info.property;
    known += (known.empty() ? "" : ", ") + std::string(info.name);
  }
  throw InputError(fmt::format("unknown property '{}' (known: {})", name, known));
}

std::string_view describe(Property property) {
  for (const PropertyInfo& info : kProperties)
    if (info.property == property) return info.law;
  return "?";
}

std::string not_applicable(Property property, const Implementation& impl) {
  switch (property) {
    case Property::bf16: return impl.modes.write_bf16 ? "" : "no bf16 output mode";
    case Property::accumulate: return impl.modes.accumulate ? "" : "no accumulate mode";
    case Property::chunk_rows:
    case Property::threads: return impl.configure ? "" : "no chunk/thread options to vary";
    default: return impl.modes.write_fp32 ? "" : "no fp32 output mode";
  }
}

Policy policy_for(const Implementation& impl, const std::optional<Policy>& override) {
  if (override) return *override;
  return policy_for_backend(Policy::bitwise(), impl.exact_order);
}

Verdict check(Property property, const Case& c, const Implementation& impl, const Policy& policy) {
  validate(c);
  if (const std::string why = not_applicable(property, impl); !why.empty())
    throw InputError(fmt::format("{} does not apply to {}: {}", to_string(property), impl.name, why));
  try {
    return check_unguarded(property, c, impl, policy);
  } catch (const FatalError&) {
    throw;
  } catch (const std::exception& e) {
    return {false, fmt::format("{}: the implementation threw: {}", to_string(property), e.what())};
  } catch (...) {
    return {false, fmt::format("{}: the implementation threw a non-standard exception", to_string(property))};
  }
}

}  // namespace relpos::harness
