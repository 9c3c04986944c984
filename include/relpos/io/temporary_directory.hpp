#pragma once
// Scratch directories: one mkdtemp under the system's temporary directory
// (TMPDIR when set), so concurrent runs never share one.
#include <filesystem>
#include <string>
#include <string_view>

namespace relpos::io {

/// Creates `<tmp>/<prefix>-XXXXXX` and returns it; the caller removes it.
/// RuntimeFailure (naming the path and the reason) when it cannot.
std::filesystem::path make_temporary_directory(std::string_view prefix);

/// A temporary directory removed with its contents when this goes out of scope.
class TemporaryDirectory {
 public:
  explicit TemporaryDirectory(std::string_view prefix = "relpos") : path_(make_temporary_directory(prefix)) {}
  ~TemporaryDirectory();
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace relpos::io
