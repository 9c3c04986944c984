#pragma once
// Names of an enum's values, in declaration order: one table per enum gives
// both to_string and parsing (instead of a switch and an if-chain each).
#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace relpos {

template <class Enum, std::size_t N>
struct EnumNames {
  std::array<std::string_view, N> names;  ///< names[i] is the value with underlying value i

  std::string_view operator()(Enum value) const {
    const auto index = static_cast<std::size_t>(value);
    return index < N ? names[index] : std::string_view("?");
  }
  std::optional<Enum> parse(std::string_view name) const {
    for (std::size_t i = 0; i < N; ++i)
      if (names[i] == name) return static_cast<Enum>(i);
    return std::nullopt;
  }
};

template <class Enum, class... Names>
constexpr EnumNames<Enum, sizeof...(Names)> enum_names(Names... names) {
  return {{std::string_view(names)...}};
}

}  // namespace relpos
