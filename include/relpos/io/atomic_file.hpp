#pragma once
// Files appear whole or not at all, and never replace a file unless asked.
#include <filesystem>

namespace relpos::io {

enum class Overwrite { refuse, allow };

/// Throws InputError "<target>: already exists (refusing to overwrite; ...)"
/// when `target` exists and overwriting is refused: call it before expensive
/// work so the user hears at once. write_atomically checks again at the end.
void refuse_existing(const std::filesystem::path& target, Overwrite overwrite);

std::filesystem::path temporary_sibling(const std::filesystem::path& target);
/// Renames `temporary` onto `target`; with Overwrite::refuse the rename fails
/// (InputError) if `target` appeared meanwhile, instead of replacing it.
void commit_temporary(const std::filesystem::path& temporary, const std::filesystem::path& target, Overwrite overwrite);

/// Runs write(temporary path) and renames the result into place only when it
/// succeeded: readers never see a half-written file.
template <class Write>
void write_atomically(const std::filesystem::path& target, Overwrite overwrite, Write&& write) {
  refuse_existing(target, overwrite);
  const std::filesystem::path temporary = temporary_sibling(target);
  try {
    write(temporary);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw;
  }
  commit_temporary(temporary, target, overwrite);
}

}  // namespace relpos::io
