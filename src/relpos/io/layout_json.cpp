#include "relpos/io/layout_json.hpp"

#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "relpos/errors.hpp"
#include "relpos/layouts/builtin_layouts.hpp"

namespace relpos {
namespace {

using Json = nlohmann::json;

std::int64_t integer_at(const Json& value, std::string_view origin, const std::string& where) {
  if (value.is_number_integer() && !value.is_number_unsigned()) return value.get<std::int64_t>();
  if (value.is_number_unsigned()) {
    const auto wide = value.get<std::uint64_t>();
    if (wide > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      throw InputError(fmt::format("{}: {} = {} does not fit int64", origin, where, wide));
    return static_cast<std::int64_t>(wide);
  }
  throw InputError(fmt::format("{}: {} is {} ({}), not an integer", origin, where, value.dump(), value.type_name()));
}

// The shape every array must share, fixed by the first one read.
struct ArrayShape {
  std::optional<bool> nested;
  std::size_t batch = 0, tokens = 0;
};

std::string shape_text(bool nested, std::size_t batch, std::size_t tokens) {
  return nested ? fmt::format("[{}, {}]", batch, tokens) : fmt::format("[{}]", tokens);
}

// One integer array [N] or [B, N] named `name`, checked against `shape`.
IdArray read_array(const Json& array, const std::string& name, std::string_view origin, ArrayShape& shape) {
  if (!array.is_array()) throw InputError(fmt::format("{}: '{}' is {}, not an array", origin, name, array.type_name()));
  const bool nested = !array.empty() && array.front().is_array();
  const std::size_t batch = nested ? array.size() : 1;
  const std::size_t tokens = nested ? array.front().size() : array.size();
  if (nested)
    for (std::size_t b = 0; b < array.size(); ++b) {
      if (!array[b].is_array())
        throw InputError(fmt::format("{}: '{}'[{}] is {}, but '{}'[0] is an array (mixed [N] and [B, N])", origin,
                                     name, b, array[b].type_name(), name));
      if (array[b].size() != tokens)
        throw InputError(fmt::format("{}: '{}'[{}] has {} tokens but '{}'[0] has {} (ragged batch)", origin, name, b,
                                     array[b].size(), name, tokens));
    }
  if (!shape.nested) {
    shape = ArrayShape{nested, batch, tokens};
  } else if (nested != *shape.nested || batch != shape.batch || tokens != shape.tokens) {
    throw InputError(fmt::format("{}: '{}' has shape {} but 'asym_id' has {}", origin, name,
                                 shape_text(nested, batch, tokens), shape_text(*shape.nested, shape.batch, shape.tokens)));
  }
  if (static_cast<std::int64_t>(tokens) > kMaxTokens)
    throw InputError(fmt::format("{}: N = {} exceeds the supported maximum {}", origin, tokens, kMaxTokens));
  IdArray target = IdArray::from_shape({batch, tokens});
  for (std::size_t b = 0; b < batch; ++b)
    for (std::size_t t = 0; t < tokens; ++t) {
      const Json& value = nested ? array[b][t] : array[t];
      const std::string where = nested ? fmt::format("'{}'[{}][{}]", name, b, t) : fmt::format("'{}'[{}]", name, t);
      target(b, t) = integer_at(value, origin, where);
    }
  return target;
}

constexpr const char* kPeriodKey = "cyclic_period";

}  // namespace

Layout parse_layout_json(std::string_view text, std::string_view origin) {
  Json document;
  try {
    document = Json::parse(text);
  } catch (const Json::parse_error& e) {
    std::string message = e.what();
    if (const auto close = message.find("] "); message.starts_with("[json.exception") && close != std::string::npos)
      message = message.substr(close + 2);
    throw InputError(fmt::format("{}: not valid JSON: {}", origin, message));
  }
  if (!document.is_object())
    throw InputError(fmt::format("{}: expected a JSON object with asym_id, residue_index, entity_id, sym_id, "
                                 "token_index; found {}",
                                 origin, document.type_name()));
  std::set<std::string> known = {"description", kPeriodKey};
  for (IdField field : kIdFields) known.insert(std::string(to_string(field)));
  for (const auto& [key, value] : document.items())
    if (!known.contains(key))
      throw InputError(fmt::format("{}: unknown key '{}' (expected asym_id, residue_index, entity_id, sym_id, "
                                   "token_index and optionally cyclic_period and description)",
                                   origin, key));
  if (const auto it = document.find("description"); it != document.end() && !it->is_string())
    throw InputError(fmt::format("{}: 'description' is not a string", origin));

  Layout layout;
  ArrayShape shape;
  for (IdField field : kIdFields) {
    const std::string name(to_string(field));
    const auto it = document.find(name);
    if (it == document.end()) throw InputError(fmt::format("{}: missing key '{}'", origin, name));
    layout.ids(field) = read_array(*it, name, origin, shape);
  }
  if (const auto it = document.find(kPeriodKey); it != document.end())
    layout.cyclic_period = read_array(*it, kPeriodKey, origin, shape);
  layout.batched = shape.nested.value_or(false);
  try {
    validate(layout);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", origin, e.what()));
  }
  return layout;
}

Layout read_layout_json(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) throw InputError(fmt::format("{}: no such file", path.string()));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot be read", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_layout_json(text.str(), path.string());
}

std::string layout_to_json(const Layout& layout) {
  std::vector<std::pair<std::string_view, const IdArray*>> arrays;
  for (IdField field : kIdFields) arrays.emplace_back(to_string(field), &layout.ids(field));
  if (layout.has_periods()) arrays.emplace_back(kPeriodKey, &layout.cyclic_period);
  std::string text = "{\n";
  for (std::size_t k = 0; k < arrays.size(); ++k) {
    const IdArray& ids = *arrays[k].second;
    std::vector<std::string> rows;
    for (std::int64_t b = 0; b < layout.batch(); ++b) {
      std::vector<std::int64_t> row(ids.begin() + b * layout.tokens(), ids.begin() + (b + 1) * layout.tokens());
      rows.push_back(fmt::format("[{}]", fmt::join(row, ", ")));
    }
    const std::string value = layout.batched ? fmt::format("[{}]", fmt::join(rows, ", ")) : rows.front();
    text += fmt::format("  \"{}\": {}{}\n", arrays[k].first, value, k + 1 < arrays.size() ? "," : "");
  }
  return text + "}\n";
}

Layout resolve_layout(std::string_view layout) {
  std::error_code error;
  const std::filesystem::path path(layout);
  if (std::filesystem::exists(path, error) || layout.ends_with(".json")) return read_layout_json(path);
  return builtin_layout(layout);
}

}  // namespace relpos
