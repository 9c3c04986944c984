#include "relpos/io/temporary_directory.hpp"

#include <stdlib.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "relpos/errors.hpp"

namespace relpos::io {

std::filesystem::path make_temporary_directory(std::string_view prefix) {
  std::error_code error;
  const std::filesystem::path base = std::filesystem::temp_directory_path(error);
  if (error) {
    const char* tmpdir = std::getenv("TMPDIR");
    throw RuntimeFailure(fmt::format("{}: not a usable temporary directory{}: {}",
                                     tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp",
                                     tmpdir != nullptr && *tmpdir != '\0' ? " (from TMPDIR)" : "", error.message()));
  }
  std::string pattern = (base / fmt::format("{}-XXXXXX", prefix)).string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw RuntimeFailure(fmt::format("{}: cannot create a temporary directory: {}", pattern, std::strerror(errno)));
  return pattern;
}

TemporaryDirectory::~TemporaryDirectory() {
  std::error_code ignored;  // a destructor must not throw; leftovers stay in the temporary directory
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace relpos::io
