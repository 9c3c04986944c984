#include "relpos/harness/case_json.hpp"

#include <fmt/format.h>

#include "relpos/errors.hpp"

namespace relpos::harness {
namespace {

using json = nlohmann::json;

json relabelling_to_json(const Relabelling& relabelling) {
  json pairs = json::array();
  for (const auto& [from, to] : relabelling) pairs.push_back({from, to});
  return pairs;
}

const json& field(const json& object, const char* name, std::string_view where) {
  if (!object.is_object() || !object.contains(name))
    throw InputError(fmt::format("{}: missing field '{}'", where, name));
  return object.at(name);
}

template <class T>
T value(const json& object, const char* name, std::string_view where) {
  try {
    return field(object, name, where).get<T>();
  } catch (const json::exception& e) {
    throw InputError(fmt::format("{}: field '{}': {}", where, name, e.what()));
  }
}

constexpr const char* kPeriodKey = "cyclic_period";

json rows_of(const Layout& layout, const IdArray& array) {
  json rows = json::array();
  for (std::int64_t b = 0; b < layout.batch(); ++b) {
    std::vector<std::int64_t> row(static_cast<std::size_t>(layout.tokens()));
    for (std::int64_t t = 0; t < layout.tokens(); ++t) row[static_cast<std::size_t>(t)] = array(b, t);
    rows.push_back(row);
  }
  return rows;
}

IdArray array_of(const json& ids, const std::string& name, std::string_view where) {
  const auto rows = value<std::vector<std::vector<std::int64_t>>>(ids, name.c_str(), where);
  const std::size_t tokens = rows.empty() ? 0 : rows.front().size();
  IdArray array = IdArray::from_shape({rows.size(), tokens});
  for (std::size_t b = 0; b < rows.size(); ++b) {
    if (rows[b].size() != tokens) throw InputError(fmt::format("{}: ids.{}: rows differ in length", where, name));
    std::copy(rows[b].begin(), rows[b].end(), array.begin() + static_cast<std::ptrdiff_t>(b * tokens));
  }
  return array;
}

}  // namespace

json case_to_json(const Case& c) {
  json ids = json::object();
  for (IdField field : kIdFields) ids[std::string(to_string(field))] = rows_of(c.layout, c.layout.ids(field));
  if (c.layout.has_periods()) ids[kPeriodKey] = rows_of(c.layout, c.layout.cyclic_period);
  json weights = json::array();
  for (std::size_t row = 0; row < c.weights.shape(0); ++row) {
    std::vector<float> values(c.weights.shape(1));
    for (std::size_t f = 0; f < values.size(); ++f) values[f] = c.weights(row, f);
    weights.push_back(values);
  }
  const Transform& t = c.transform;
  return json{
      {"config",
       {{"r_max", c.config.r_max}, {"s_max", c.config.s_max}, {"c_z", c.config.c_z},
        {"variant", std::string(to_string(c.config.variant))}, {"cyclic", std::string(to_string(c.config.cyclic))},
        {"precision", std::string(to_string(c.config.precision))}}},
      {"batched", c.layout.batched},
      {"ids", ids},
      {"weights", weights},
      {"transform",
       {{"permutation", t.permutation},
        {"residue_shift", t.residue_shift},
        {"token_shift", t.token_shift},
        {"sym_shift", t.sym_shift},
        {"asym_relabelling", relabelling_to_json(t.asym_relabelling)},
        {"entity_relabelling", relabelling_to_json(t.entity_relabelling)},
        {"chunk_rows", t.chunk_rows},
        {"threads", t.threads},
        {"accumulator_seed", t.accumulator_seed},
        {"period_multiple", t.period_multiple}}},
  };
}

Case case_from_json(const json& object, std::string_view where) {
  Case c;
  const json& config = field(object, "config", where);
  c.config.r_max = value<std::int32_t>(config, "r_max", where);
  c.config.s_max = value<std::int32_t>(config, "s_max", where);
  c.config.c_z = value<std::int32_t>(config, "c_z", where);
  c.config.variant = parse_variant(value<std::string>(config, "variant", where));
  // Format 2's axes; cases saved before them are plain fp32 without a wrap.
  if (config.contains("cyclic")) c.config.cyclic = parse_cyclic(value<std::string>(config, "cyclic", where));
  if (config.contains("precision"))
    c.config.precision = parse_precision(value<std::string>(config, "precision", where));
  validate(c.config);
  c.layout.batched = value<bool>(object, "batched", where);
  const json& ids = field(object, "ids", where);
  for (IdField field_id : kIdFields) c.layout.ids(field_id) = array_of(ids, std::string(to_string(field_id)), where);
  if (ids.contains(kPeriodKey)) c.layout.cyclic_period = array_of(ids, kPeriodKey, where);
  const auto weights = value<std::vector<std::vector<float>>>(object, "weights", where);
  const std::size_t width = weights.empty() ? 0 : weights.front().size();
  c.weights.resize({weights.size(), width});
  for (std::size_t row = 0; row < weights.size(); ++row) {
    if (weights[row].size() != width) throw InputError(fmt::format("{}: weights: rows differ in length", where));
    std::copy(weights[row].begin(), weights[row].end(), &c.weights(row, 0));
  }
  const json& transform = field(object, "transform", where);
  Transform& t = c.transform;
  t.permutation = value<std::vector<std::int64_t>>(transform, "permutation", where);
  t.residue_shift = value<std::int64_t>(transform, "residue_shift", where);
  t.token_shift = value<std::int64_t>(transform, "token_shift", where);
  t.sym_shift = value<std::int64_t>(transform, "sym_shift", where);
  t.asym_relabelling = value<Relabelling>(transform, "asym_relabelling", where);
  t.entity_relabelling = value<Relabelling>(transform, "entity_relabelling", where);
  t.chunk_rows = value<std::int64_t>(transform, "chunk_rows", where);
  t.threads = value<int>(transform, "threads", where);
  t.accumulator_seed = value<std::uint64_t>(transform, "accumulator_seed", where);
  if (transform.contains("period_multiple")) t.period_multiple = value<std::int64_t>(transform, "period_multiple", where);
  try {
    validate(c);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", where, e.what()));
  }
  return c;
}

}  // namespace relpos::harness
