#pragma once
// Layouts as JSON: {"asym_id": [...], "residue_index": [...], "entity_id": [...],
// "sym_id": [...], "token_index": [...]}, each a list of integers [N] or a list
// of equally long lists [B, N]; an optional "description" string is ignored.
#include <filesystem>
#include <string>
#include <string_view>

#include "relpos/layout.hpp"

namespace relpos {

/// Throws InputError "FILE: problem" (bad JSON with line and column, missing
/// or unknown key, non-integer value with its position, ragged or unequal arrays).
Layout read_layout_json(const std::filesystem::path& path);
/// The same from text; `origin` names it in errors.
Layout parse_layout_json(std::string_view text, std::string_view origin);

/// Compact JSON with one array per line.
std::string layout_to_json(const Layout& layout);

/// LAYOUT as `fixtures make` takes it: an existing file (or a name ending in
/// .json) is read as JSON, anything else must be a built-in layout name.
Layout resolve_layout(std::string_view layout);

}  // namespace relpos
