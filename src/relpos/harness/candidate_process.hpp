#pragma once
// One external program speaking the candidate line protocol
// (docs/candidate-protocol.md): started once with /bin/sh -c, one request line
// on its stdin, one answer line on its stdout, every wait bounded by poll().
#include <filesystem>
#include <string>
#include <sys/types.h>

#include "relpos/errors.hpp"

namespace relpos::harness {

/// The candidate misbehaved on one request (crash, timeout, malformed answer).
class CandidateError : public RuntimeFailure {
 public:
  using RuntimeFailure::RuntimeFailure;
};

class CandidateProcess {
 public:
  /// Starts `command` in its own process group; its stderr is appended to `stderr_log`.
  CandidateProcess(const std::string& command, const std::filesystem::path& stderr_log);
  ~CandidateProcess();
  CandidateProcess(const CandidateProcess&) = delete;
  CandidateProcess& operator=(const CandidateProcess&) = delete;

  /// Sends `line` (a newline is added) and returns the answer line without its
  /// newline. Throws CandidateError when the process exits, does not answer
  /// within `timeout_seconds` (it is then killed) or answers more than 64 KiB.
  std::string request(const std::string& line, double timeout_seconds);

  bool alive() const { return pid_ > 0; }
  /// Answers received since the start.
  int answers() const { return answers_; }
  /// Kills the whole process group and reaps it.
  void kill();
  /// How the process ended ("exited with status 1", "killed by signal 9"), after it did.
  const std::string& exit_description() const { return exit_description_; }

 private:
  bool reap(bool wait);

  pid_t pid_ = -1;
  int to_child_ = -1;    ///< our end of the child's stdin (a socket: send() with MSG_NOSIGNAL, no SIGPIPE)
  int from_child_ = -1;  ///< our end of the child's stdout
  std::string buffer_;   ///< bytes read past the last answer line
  int answers_ = 0;
  std::string exit_description_;
};

/// The last `lines` lines of a text file ("" when it cannot be read).
std::string tail_of_file(const std::filesystem::path& file, int lines);

}  // namespace relpos::harness
