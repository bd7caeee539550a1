// Runs the `loyalty` tool as a subprocess, the way a user runs it, for the
// whole-system tests of the tool.
#ifndef LOYALTY_TESTS_TOOL_RUNNER_H_
#define LOYALTY_TESTS_TOOL_RUNNER_H_

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

extern char** environ;

namespace loyalty::testing {

struct ToolRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

// The lines of `text`, without their newlines.
inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// Starts `binary args...` with `actions` (where its standard streams go);
// returns its pid, or 0 with a test failure when it cannot be started.
inline pid_t Spawn(const std::string& binary, const std::vector<std::string>& args,
                   const posix_spawn_file_actions_t& actions) {
  std::vector<std::string> argv_strings = {binary};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  if (spawned != 0) {
    ADD_FAILURE() << "cannot run " << binary << ": " << std::strerror(spawned);
    return 0;
  }
  return pid;
}

// Starts `binary args...` with standard output and error discarded, for a
// test that kills it; returns its pid (0, with a test failure, when it
// cannot be started).
inline pid_t SpawnTool(const std::string& binary, const std::vector<std::string>& args) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  const pid_t pid = Spawn(binary, args, actions);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

// Runs `binary args...` in `working_directory` with standard input read from
// `stdin_path`; standard output and error go to `capture_prefix`.out and
// .err, then into the result.
inline ToolRun RunTool(const std::string& binary, const std::vector<std::string>& args,
                       const std::string& stdin_path, const std::string& working_directory,
                       const std::string& capture_prefix) {
  const std::string out_path = capture_prefix + ".out";
  const std::string err_path = capture_prefix + ".err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addchdir_np(&actions, working_directory.c_str());
  const pid_t pid = Spawn(binary, args, actions);
  posix_spawn_file_actions_destroy(&actions);
  ToolRun run;
  if (pid == 0) return run;
  int wait_status = 0;
  EXPECT_EQ(waitpid(pid, &wait_status, 0), pid);
  EXPECT_TRUE(WIFEXITED(wait_status)) << "the tool did not exit normally";
  run.exit_code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  run.out = ReadFile(out_path);
  run.err = ReadFile(err_path);
  return run;
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_TOOL_RUNNER_H_
