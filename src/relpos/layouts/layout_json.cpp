#include "relpos/layouts/layout_json.hpp"

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
  std::set<std::string> known = {"description"};
  for (IdField field : kIdFields) known.insert(std::string(to_string(field)));
  for (const auto& [key, value] : document.items())
    if (!known.contains(key))
      throw InputError(fmt::format("{}: unknown key '{}' (expected asym_id, residue_index, entity_id, sym_id, "
                                   "token_index and optionally description)",
                                   origin, key));
  if (const auto it = document.find("description"); it != document.end() && !it->is_string())
    throw InputError(fmt::format("{}: 'description' is not a string", origin));

  Layout layout;
  std::optional<bool> batched;
  std::size_t batch = 0, tokens = 0;
  for (IdField field : kIdFields) {
    const std::string name(to_string(field));
    const auto it = document.find(name);
    if (it == document.end()) throw InputError(fmt::format("{}: missing key '{}'", origin, name));
    const Json& array = *it;
    if (!array.is_array()) throw InputError(fmt::format("{}: '{}' is {}, not an array", origin, name, array.type_name()));
    const bool nested = !array.empty() && array.front().is_array();
    std::size_t this_batch = nested ? array.size() : 1;
    std::size_t this_tokens = nested ? array.front().size() : array.size();
    if (nested)
      for (std::size_t b = 0; b < array.size(); ++b) {
        if (!array[b].is_array())
          throw InputError(fmt::format("{}: '{}'[{}] is {}, but '{}'[0] is an array (mixed [N] and [B, N])", origin,
                                       name, b, array[b].type_name(), name));
        if (array[b].size() != this_tokens)
          throw InputError(fmt::format("{}: '{}'[{}] has {} tokens but '{}'[0] has {} (ragged batch)", origin, name, b,
                                       array[b].size(), name, this_tokens));
      }
    if (!batched) {
      batched = nested;
      batch = this_batch;
      tokens = this_tokens;
    } else if (nested != *batched || this_batch != batch || this_tokens != tokens) {
      const auto shape = [](bool n, std::size_t b, std::size_t t) {
        return n ? fmt::format("[{}, {}]", b, t) : fmt::format("[{}]", t);
      };
      throw InputError(fmt::format("{}: '{}' has shape {} but 'asym_id' has {}", origin, name,
                                   shape(nested, this_batch, this_tokens), shape(*batched, batch, tokens)));
    }
    if (static_cast<std::int64_t>(this_tokens) > kMaxTokens)
      throw InputError(fmt::format("{}: N = {} exceeds the supported maximum {}", origin, this_tokens, kMaxTokens));
    IdArray& target = layout.ids(field);
    target.resize({this_batch, this_tokens});
    for (std::size_t b = 0; b < this_batch; ++b)
      for (std::size_t t = 0; t < this_tokens; ++t) {
        const Json& value = nested ? array[b][t] : array[t];
        const std::string where = nested ? fmt::format("'{}'[{}][{}]", name, b, t) : fmt::format("'{}'[{}]", name, t);
        target(b, t) = integer_at(value, origin, where);
      }
  }
  layout.batched = batched.value_or(false);
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
  std::string text = "{\n";
  for (std::size_t k = 0; k < kIdFields.size(); ++k) {
    const IdArray& ids = layout.ids(kIdFields[k]);
    std::vector<std::string> rows;
    for (std::int64_t b = 0; b < layout.batch(); ++b) {
      std::vector<std::int64_t> row(ids.begin() + b * layout.tokens(), ids.begin() + (b + 1) * layout.tokens());
      rows.push_back(fmt::format("[{}]", fmt::join(row, ", ")));
    }
    const std::string value = layout.batched ? fmt::format("[{}]", fmt::join(rows, ", ")) : rows.front();
    text += fmt::format("  \"{}\": {}{}\n", to_string(kIdFields[k]), value, k + 1 < kIdFields.size() ? "," : "");
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
