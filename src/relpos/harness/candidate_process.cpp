#include "relpos/harness/candidate_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>
#include <thread>

#include <fmt/format.h>

extern char** environ;

namespace relpos::harness {
namespace {

constexpr std::size_t kMaxAnswer = 64 * 1024;

using Clock = std::chrono::steady_clock;

int milliseconds_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("was killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return "stopped";
}

}  // namespace

std::string tail_of_file(const std::filesystem::path& file, int lines) {
  std::ifstream in(file);
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  std::string text;
  for (const std::string& l : last) text += "    | " + l + "\n";
  return text;
}

CandidateProcess::CandidateProcess(const std::string& command, const std::filesystem::path& stderr_log) {
  int stdin_pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, stdin_pair) != 0)
    throw RuntimeFailure(fmt::format("candidate: socketpair failed: {}", std::strerror(errno)));
  int stdout_pipe[2];
  if (pipe2(stdout_pipe, O_CLOEXEC) != 0) {
    close(stdin_pair[0]);
    close(stdin_pair[1]);
    throw RuntimeFailure(fmt::format("candidate: pipe failed: {}", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, stdin_pair[1], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, stdout_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  const std::string shell = "/bin/sh";
  std::string dash_c = "-c";
  std::string command_copy = command;
  char* argv[] = {const_cast<char*>("sh"), dash_c.data(), command_copy.data(), nullptr};
  const int error = posix_spawn(&pid_, shell.c_str(), &actions, &attributes, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(stdin_pair[1]);
  close(stdout_pipe[1]);
  to_child_ = stdin_pair[0];
  from_child_ = stdout_pipe[0];
  if (error != 0) {
    pid_ = -1;
    close(to_child_);
    close(from_child_);
    to_child_ = from_child_ = -1;
    throw RuntimeFailure(fmt::format("candidate: cannot start /bin/sh -c '{}': {}", command, std::strerror(error)));
  }
}

CandidateProcess::~CandidateProcess() {
  if (to_child_ >= 0) shutdown(to_child_, SHUT_WR);  // EOF on its stdin: a polite candidate exits now
  const auto deadline = Clock::now() + std::chrono::seconds(2);
  while (alive() && Clock::now() < deadline && !reap(false))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill();
  if (to_child_ >= 0) close(to_child_);
  if (from_child_ >= 0) close(from_child_);
}

bool CandidateProcess::reap(bool wait) {
  if (pid_ <= 0) return true;
  int status = 0;
  const pid_t done = waitpid(pid_, &status, wait ? 0 : WNOHANG);
  if (done == pid_ || (done < 0 && errno == ECHILD)) {
    exit_description_ = done == pid_ ? describe_status(status) : "ended";
    pid_ = -1;
    return true;
  }
  return false;
}

void CandidateProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGKILL);  // the whole group: sh and whatever it started
  reap(true);
}

std::string CandidateProcess::request(const std::string& line, double timeout_seconds) {
  if (!alive()) throw CandidateError("the candidate is not running (" + exit_description_ + ")");
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_seconds));
  // It closed a pipe: give it a moment to exit on its own (for an honest exit
  // status), then make sure it is gone.
  const auto died = [&](std::string_view when) {
    const auto grace = Clock::now() + std::chrono::milliseconds(500);
    while (Clock::now() < grace && !reap(false)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    kill();
    return CandidateError(fmt::format("the candidate {} {}", exit_description_, when));
  };
  const std::string message = line + "\n";
  std::size_t sent = 0;
  while (sent < message.size()) {
    pollfd pfd{to_child_, POLLOUT, 0};
    const int ready = poll(&pfd, 1, milliseconds_left(deadline));
    if (ready == 0) {
      kill();
      throw CandidateError(fmt::format("the candidate did not read its request within {:g} s (killed)", timeout_seconds));
    }
    if (ready < 0 && errno == EINTR) continue;
    const ssize_t n = send(to_child_, message.data() + sent, message.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      throw died("before reading its request");
    }
    sent += static_cast<std::size_t>(n);
  }
  while (true) {
    const auto newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string answer = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      if (!answer.empty() && answer.back() == '\r') answer.pop_back();
      ++answers_;
      return answer;
    }
    if (buffer_.size() > kMaxAnswer) {
      kill();
      throw CandidateError(fmt::format("the candidate's answer exceeds {} bytes without a newline (killed)", kMaxAnswer));
    }
    pollfd pfd{from_child_, POLLIN, 0};
    const int ready = poll(&pfd, 1, milliseconds_left(deadline));
    if (ready == 0) {
      kill();
      throw CandidateError(fmt::format("the candidate did not answer within {:g} s (killed)", timeout_seconds));
    }
    if (ready < 0) {
      if (errno == EINTR) continue;
      kill();
      throw CandidateError(fmt::format("poll on the candidate's stdout failed: {}", std::strerror(errno)));
    }
    char chunk[4096];
    const ssize_t n = read(from_child_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      throw died(buffer_.empty() ? "without answering"
                                 : fmt::format("after a partial answer '{}'", buffer_.substr(0, 200)));
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace relpos::harness
