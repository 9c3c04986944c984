#include "relpos/io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "relpos/errors.hpp"

namespace relpos::io {

void refuse_existing(const std::filesystem::path& target, Overwrite overwrite) {
  std::error_code error;
  if (overwrite == Overwrite::refuse && std::filesystem::exists(target, error))
    throw InputError(
        fmt::format("{}: already exists (refusing to overwrite; remove it or pass --force)", target.string()));
}

std::filesystem::path temporary_sibling(const std::filesystem::path& target) {
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path directory = target.has_parent_path() ? target.parent_path() : ".";
  return directory / fmt::format(".{}.tmp-{}-{}", target.filename().string(), ::getpid(), counter++);
}

namespace {

// rename(2) that fails with EEXIST instead of replacing; link + unlink where
// the filesystem has no RENAME_NOREPLACE.
int rename_no_replace(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  if (::link(from.c_str(), to.c_str()) != 0) return -1;
  ::unlink(from.c_str());
  return 0;
}

}  // namespace

void commit_temporary(const std::filesystem::path& temporary, const std::filesystem::path& target,
                      Overwrite overwrite) {
  const int status = overwrite == Overwrite::allow ? std::rename(temporary.c_str(), target.c_str())
                                                   : rename_no_replace(temporary, target);
  if (status == 0) return;
  const int cause = errno;
  std::error_code ignored;
  std::filesystem::remove(temporary, ignored);
  if (cause == EEXIST && overwrite == Overwrite::refuse)
    throw InputError(fmt::format("{}: appeared while it was being written (refusing to overwrite)", target.string()));
  throw InputError(fmt::format("{}: cannot be written ({})", target.string(), std::strerror(cause)));
}

}  // namespace relpos::io
