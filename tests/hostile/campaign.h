// The hostile-input campaign: the `loyalty` tool driven as a hostile but
// ordinary user drives it (docs/reliability.md, "Hostile input"). Each case
// reproduces one way an ordinary command could destroy data or stop the
// ledger, and pins what the tool does instead.
//
// The fixture gives each test a temporary directory (the working directory
// of every run), a way to run the tool, and a small demo ledger to damage.
#ifndef LOYALTY_TESTS_HOSTILE_CAMPAIGN_H_
#define LOYALTY_TESTS_HOSTILE_CAMPAIGN_H_

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/temp_dir.h"
#include "tests/tool_runner.h"

namespace loyalty::hostile {

using ::loyalty::testing::ToolRun;
using ::loyalty::testing::WriteFile;

class HostileCampaign : public ::testing::Test {
 protected:
  // Runs the tool with `args` in the test's directory, standard input read
  // from `stdin_path`.
  ToolRun Loyalty(const std::vector<std::string>& args,
                  const std::string& stdin_path = "/dev/null") {
    const std::string capture_prefix = dir_.Sub(absl::StrCat(".run-", runs_++));
    return ::loyalty::testing::RunTool(LOYALTY_BINARY, args, stdin_path, dir_.path(),
                                       capture_prefix);
  }

  // A path in the test's directory.
  std::string Path(const std::string& name) const { return dir_.Sub(name); }

  // A small demo ledger in `name` (its master key beside it, as the demo
  // keeps it), asserted to have been made.
  std::string MakeDemoLedger(const std::string& name = "ledger") {
    const ToolRun run =
        Loyalty({"--db", name, "demo", "--members", "30", "--days", "45", "--no-sync"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return Path(name);
  }

  // Moves what the ledger "ledger" holds in its write-ahead logs into table
  // files, where the tests damage it: a writing open flushes what it
  // recovers.
  void FlushToTables(const std::string& name = "ledger") {
    const ToolRun run = Loyalty({"--db", name, "init"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
  }

  // Every path under `directory`, relative to it, recursively.
  static std::set<std::string> Tree(const std::string& directory) {
    std::set<std::string> paths;
    std::error_code error;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(directory, error)) {
      paths.insert(std::filesystem::relative(entry.path(), directory).string());
    }
    return paths;
  }

  // The files under `directory` whose name ends with `suffix`.
  static std::vector<std::string> FilesEndingWith(const std::string& directory,
                                                  const std::string& suffix) {
    std::vector<std::string> found;
    for (const std::string& path : Tree(directory)) {
      if (path.size() >= suffix.size() &&
          path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0) {
        found.push_back(path);
      }
    }
    return found;
  }

 private:
  ::loyalty::testing::TempDir dir_;
  int runs_ = 0;
};

}  // namespace loyalty::hostile

#endif  // LOYALTY_TESTS_HOSTILE_CAMPAIGN_H_
