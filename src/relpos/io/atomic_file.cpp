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
  // symlink_status: a dangling link is still a name this write would replace.
  if (overwrite == Overwrite::refuse && std::filesystem::exists(std::filesystem::symlink_status(target, error)))
    throw InputError(
        fmt::format("{}: already exists (refusing to overwrite; remove it or pass --force)", target.string()));
}

std::filesystem::path temporary_sibling(const std::filesystem::path& target) {
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path directory = target.has_parent_path() ? target.parent_path() : ".";
  return directory / fmt::format(".{}.tmp-{}-{}", target.filename().string(), ::getpid(), counter++);
}

namespace {

bool unsupported(int error) { return error == EINVAL || error == ENOSYS || error == EPERM || error == ENOTSUP; }

// rename(2) that fails with EEXIST instead of replacing. Where the filesystem
// has no RENAME_NOREPLACE: link + unlink; where it has no hard links either
// (vfat, some FUSE and SMB mounts): claim the name with O_EXCL, then rename
// over that empty placeholder, which only this process can have created.
int rename_no_replace(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (!unsupported(errno)) return -1;
  if (::link(from.c_str(), to.c_str()) == 0) {
    ::unlink(from.c_str());
    return 0;
  }
  if (!unsupported(errno)) return -1;
  const int placeholder = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (placeholder < 0) return -1;
  ::close(placeholder);
  if (::rename(from.c_str(), to.c_str()) == 0) return 0;
  const int cause = errno;
  ::unlink(to.c_str());
  errno = cause;
  return -1;
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
