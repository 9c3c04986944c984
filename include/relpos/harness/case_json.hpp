#pragma once
// A case as JSON: every id, weight and transform value written out, so a saved
// case replays without the generator that produced it.
#include <string_view>

#include <nlohmann/json.hpp>

#include "relpos/harness/case.hpp"

namespace relpos::harness {

nlohmann::json case_to_json(const Case& c);
/// Throws InputError "WHERE: problem" for a missing or malformed field or an invalid case.
Case case_from_json(const nlohmann::json& json, std::string_view where);

}  // namespace relpos::harness
