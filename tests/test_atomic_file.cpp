// Files appear whole or not at all, and never replace a file unless asked.
#include <gtest/gtest.h>

#include <fstream>
#include <stdexcept>

#include "cli_runner.hpp"
#include "relpos/errors.hpp"
#include "relpos/io/atomic_file.hpp"
#include "test_temp_dir.hpp"

namespace relpos::io {
namespace {

namespace fs = std::filesystem;
using testing::read_bytes;
using testing::TempDir;

void write_text(const fs::path& target, Overwrite overwrite, const std::string& text) {
  write_atomically(target, overwrite, [&](const fs::path& temporary) { std::ofstream(temporary) << text; });
}

std::size_t entries(const fs::path& directory) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(directory), fs::directory_iterator()));
}

TEST(AtomicFile, RefusesAnExistingFileUnlessAllowed) {
  TempDir dir;
  const fs::path target = dir / "a.txt";
  write_text(target, Overwrite::refuse, "first");
  EXPECT_THROW(write_text(target, Overwrite::refuse, "second"), InputError);
  EXPECT_EQ(read_bytes(target), "first");
  write_text(target, Overwrite::allow, "third");
  EXPECT_EQ(read_bytes(target), "third");
  EXPECT_EQ(entries(dir.path()), 1u);  // no temporary left behind
}

TEST(AtomicFile, ADanglingSymlinkIsAnExistingName) {
  TempDir dir;
  const fs::path target = dir / "link.txt";
  fs::create_symlink(dir / "nowhere", target);
  try {
    write_text(target, Overwrite::refuse, "x");
    FAIL() << "a dangling symlink was replaced";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("already exists"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_symlink(target));
}

TEST(AtomicFile, AFailedWriteLeavesNothing) {
  TempDir dir;
  const fs::path target = dir / "b.txt";
  EXPECT_THROW(write_atomically(target, Overwrite::refuse,
                                [](const fs::path& temporary) {
                                  std::ofstream(temporary) << "half";
                                  throw std::runtime_error("disk full");
                                }),
               std::runtime_error);
  EXPECT_EQ(entries(dir.path()), 0u);
}

// Without RENAME_NOREPLACE and hard links the write still lands, and still refuses to replace.
TEST(AtomicFile, WorksOnAFilesystemWithoutNoReplaceOrHardLinks) {
  if (!fs::exists(RELPOS_NO_RENAME_SHIM)) GTEST_SKIP() << "the shim is not here: " << RELPOS_NO_RENAME_SHIM;
  TempDir dir;
  const std::string preload = std::string("LD_PRELOAD='") + RELPOS_NO_RENAME_SHIM + "' ";
  const fs::path target = dir / "layout.json";
  const std::string command = "'" + testing::relpos_cli_path().string() + "' fixtures layout monomer --out '" +
                              target.string() + "' >/dev/null 2>'" + (dir / "err").string() + "'";
  EXPECT_EQ(std::system((preload + command).c_str()), 0) << read_bytes(dir / "err");
  const std::string written = read_bytes(target);
  EXPECT_NE(written.find("residue_index"), std::string::npos) << written;
  const int again = std::system((preload + command).c_str());
  EXPECT_EQ(WEXITSTATUS(again), 2);
  EXPECT_NE(read_bytes(dir / "err").find("already exists"), std::string::npos) << read_bytes(dir / "err");
  EXPECT_EQ(read_bytes(target), written);
}

}  // namespace
}  // namespace relpos::io
