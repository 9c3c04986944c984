#include "relpos/harness/show.hpp"

#include <algorithm>
#include <ostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace relpos::harness {
namespace {

std::string relabelling_text(const Relabelling& relabelling) {
  std::string text = "{";
  for (std::size_t k = 0; k < relabelling.size(); ++k)
    text += fmt::format("{}{}->{}", k ? ", " : "", relabelling[k].first, relabelling[k].second);
  return text + "}";
}

// A run of equal values or of consecutive (+1 / -1) values this long or longer prints as one item.
constexpr std::size_t kShortestRun = 4;

}  // namespace

std::string compact_list(std::span<const std::int64_t> values) {
  std::string text;
  for (std::size_t k = 0; k < values.size();) {
    std::size_t end = k + 1;
    // In 128 bits: ids reach both ends of int64, where a 64-bit difference overflows.
    const auto difference = [&](std::size_t a, std::size_t b) {
      return static_cast<__int128>(values[b]) - static_cast<__int128>(values[a]);
    };
    const __int128 step = end < values.size() ? difference(k, end) : 0;
    if (step >= -1 && step <= 1)
      while (end < values.size() && difference(end - 1, end) == step) ++end;
    if (end - k < kShortestRun) end = k + 1;
    if (!text.empty()) text += ", ";
    if (end - k == 1)
      text += fmt::format("{}", values[k]);
    else if (step == 0)
      text += fmt::format("{} (x{})", values[k], end - k);
    else
      text += fmt::format("{}..{}", values[k], values[end - 1]);
    k = end;
  }
  return "[" + text + "]";
}

std::string describe_layout(const Layout& layout) {
  std::string text;
  const auto line = [&](std::string_view name, const IdArray& ids) {
    std::string values;
    for (std::int64_t b = 0; b < layout.batch(); ++b) {
      const std::span<const std::int64_t> row(ids.data() + b * layout.tokens(), static_cast<std::size_t>(layout.tokens()));
      values += fmt::format("{}{}", b ? ", " : "", compact_list(row));
    }
    if (layout.batched) values = "[" + values + "]";
    text += fmt::format("  {:<14}{}\n", name, values);
  };
  for (IdField field : kIdFields) line(to_string(field), layout.ids(field));
  if (layout.any_cyclic()) line("cyclic_period", layout.cyclic_period);
  return text;
}

std::string describe(const Case& c, std::size_t max_weights) {
  const Config& config = c.config;
  std::string text = fmt::format("config r_max={} s_max={} c_z={} variant={} cyclic={} precision={} (F = {})\n",
                                 config.r_max, config.s_max, config.c_z, to_string(config.variant),
                                 to_string(config.cyclic), to_string(config.precision), config.feature_width());
  if (c.layout.batched)
    text += fmt::format("{} tokens: batch of {} x N = {}\n", c.total_tokens(), c.layout.batch(), c.layout.tokens());
  else
    text += fmt::format("{} token{} (unbatched)\n", c.layout.tokens(), c.layout.tokens() == 1 ? "" : "s");
  text += describe_layout(c.layout);
  const Weights& w = c.weights;
  if (w.size() <= max_weights) {
    text += fmt::format("weights [{}, {}] (rows = output channels):\n", w.shape(0), w.shape(1));
    for (std::size_t row = 0; row < w.shape(0); ++row) {
      std::vector<float> values(&w(row, 0), &w(row, 0) + w.shape(1));
      text += fmt::format("  [{:.9g}]\n", fmt::join(values, ", "));
    }
  } else {
    float low = w.size() ? w[0] : 0, high = low;
    std::size_t zeros = 0;
    for (float v : w) low = std::min(low, v), high = std::max(high, v), zeros += v == 0;
    text += fmt::format("weights [{}, {}]: {} values in [{:.6g}, {:.6g}], {} zeros (saved in full in a regression file)\n",
                        w.shape(0), w.shape(1), w.size(), low, high, zeros);
  }
  const Transform& t = c.transform;
  text += fmt::format("transform: permutation {}; shifts residue {:+} token {:+} sym {:+}; asym {}; entity {}; "
                      "chunk_rows {}; threads {}; accumulator seed {:#x}; period multiple {:+}\n",
                      compact_list(t.permutation), t.residue_shift, t.token_shift, t.sym_shift,
                      relabelling_text(t.asym_relabelling), relabelling_text(t.entity_relabelling), t.chunk_rows,
                      t.threads, t.accumulator_seed, t.period_multiple);
  return text;
}

void showValue(const Case& c, std::ostream& os) { os << describe(c); }

}  // namespace relpos::harness
