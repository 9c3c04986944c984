#pragma once
#include <cstddef>
#include <span>
#include <string>

namespace relpos::io {

/// "[2, 3, 4]": how error messages show a dataset's or tensor's shape.
inline std::string shape_text(std::span<const std::size_t> shape) {
  std::string text = "[";
  for (std::size_t k = 0; k < shape.size(); ++k) text += (k ? ", " : "") + std::to_string(shape[k]);
  return text + "]";
}

}  // namespace relpos::io
