#pragma once
// Named, realistic token layouts (README "Built-in layouts" / docs/fixtures.md):
// what the committed fixtures and `relpos fixtures make --layout NAME` use.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "relpos/layout.hpp"

namespace relpos {

struct BuiltinLayoutInfo {
  std::string name;  ///< "large_complex_<N>" stands for the family
  std::string description;
};

/// Every built-in layout, in display order.
std::vector<BuiltinLayoutInfo> builtin_layouts();

/// nullopt when `name` is not a built-in layout.
std::optional<Layout> find_builtin_layout(std::string_view name);

/// Throws InputError listing the built-in names when `name` is unknown.
Layout builtin_layout(std::string_view name);

/// Smallest and largest N of the large_complex_<N> family.
inline constexpr std::int64_t kLargeComplexMinTokens = 64;
inline constexpr std::int64_t kLargeComplexMaxTokens = 1 << 20;

}  // namespace relpos
