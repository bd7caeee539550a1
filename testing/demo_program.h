// A program the demo generates (demo/runner.h), for tests that read a
// realistic log. For test targets that link loyalty_demo.
#ifndef LOYALTY_TESTING_DEMO_PROGRAM_H_
#define LOYALTY_TESTING_DEMO_PROGRAM_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "demo/runner.h"
#include "gtest/gtest.h"
#include "loyalty/engine.h"
#include "testing/temp_dir.h"
#include "testing/unsynced_engine.h"

namespace loyalty::testing {

// Generates the demo's program of `members` members over `days` days into
// `directory`. Nothing is synced: a test's log need not survive a crash.
inline absl::Status GenerateDemoProgram(const std::string& directory, int members, int days) {
  demo::RunOptions options;
  options.workload.members = members;
  options.workload.days = days;
  options.sync = false;
  return demo::RunWorkload(directory, options, nullptr).status();
}

// A suite whose tests read one program of `kMembers` members over `kDays`
// days, generated once before the first of them (a program takes seconds to
// make); each test gets an engine of its own on it.
template <int kMembers, int kDays>
class DemoProgramTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const absl::Status generated = GenerateDemoProgram(LedgerDirectory(), kMembers, kDays);
    ASSERT_TRUE(generated.ok()) << generated;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    auto engine = OpenUnsyncedEngine(LedgerDirectory());
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
  }

  static std::string LedgerDirectory() { return dir_->Sub("ledger"); }
  // A path beside the ledger, removed with it.
  static std::string Sub(const std::string& name) { return dir_->Sub(name); }

  std::unique_ptr<Engine> engine_;

 private:
  static TempDir* dir_;
};

template <int kMembers, int kDays>
TempDir* DemoProgramTest<kMembers, kDays>::dir_ = nullptr;

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTING_DEMO_PROGRAM_H_
