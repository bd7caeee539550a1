// Storage faults under a running ledger, injected through a RocksDB file
// system (ledger/testing/fault_fs.h): failed writes, syncs and reads, a full
// disk, a read-only disk, and a second process on the same directory. After
// each, the appends that failed say why, nothing acknowledged is lost, the
// chain verifies, and reopening the ledger (once the fault is gone) resumes
// appending, with retries of the failed batches applied exactly once.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/rocksdb_ledger.h"
#include "ledger/testing/fault_fs.h"
#include "loyalty/ledger.h"
#include "testing/events.h"
#include "testing/temp_dir.h"

namespace loyalty {
namespace {

using ::loyalty::testing::FaultFileSystem;
using ::loyalty::testing::Purchase;
using ::loyalty::testing::TempDir;
using ::testing::HasSubstr;

class LedgerFaultTest : public ::testing::Test {
 protected:
  LedgerFaultTest()
      : fs_(std::make_shared<FaultFileSystem>()), env_(loyalty::testing::NewFaultEnv(fs_)) {}

  absl::StatusOr<std::unique_ptr<Ledger>> OpenLedger() {
    internal::StorageHooks hooks;
    hooks.env = env_.get();
    hooks.write_buffer_bytes = write_buffer_bytes_;
    return internal::RocksDbLedger::Open(path_, LedgerOptions(), hooks);
  }
  void Reopen() {
    ledger_.reset();
    auto opened = OpenLedger();
    ASSERT_TRUE(opened.ok()) << opened.status();
    ledger_ = std::move(*opened);
  }
  absl::StatusOr<AppendResult> AppendPurchase(const std::string& id) {
    AppendBatch batch;
    batch.Add(Purchase("M1", id, 100));
    batch.Add(Purchase("M2", id + "-b", 200));
    return ledger_->Append(batch);
  }
  // How many events carry `key`; a retried batch must be in once.
  int CountKey(const std::string& key) {
    int count = 0;
    const uint64_t head = ledger_->Head().sequence;
    EXPECT_TRUE(ledger_
                    ->Scan(1, head,
                           [&](const v1::Envelope& e) {
                             if (e.idempotency_key() == key) ++count;
                             return absl::OkStatus();
                           })
                    .ok());
    return count;
  }
  void ExpectIntact(uint64_t at_least) {
    const ChainHead head = ledger_->Head();
    EXPECT_GE(head.sequence, at_least);
    EXPECT_TRUE(ledger_->Verify(1, head.sequence).ok()) << ledger_->Verify(1, head.sequence);
  }

  // While `fault` is on, an append fails with `code` and a message naming
  // the fault; appends stay stopped after it clears until the ledger is
  // reopened; then the failed batch's retry is applied once.
  void CheckFailsThenResumesAfterReopen(std::atomic<bool>* fault, absl::StatusCode code,
                                        const std::string& words) {
    Reopen();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(AppendPurchase(absl::StrCat("ok", i)).ok());
    const ChainHead before = ledger_->Head();

    fault->store(true);
    auto failed = AppendPurchase("during");
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.status().code(), code) << failed.status();
    EXPECT_THAT(failed.status().message(), HasSubstr(words));
    EXPECT_THAT(failed.status().message(), HasSubstr("reopen the ledger"));
    EXPECT_EQ(ledger_->Head().sequence, before.sequence);  // nothing published
    EXPECT_GT(fs_->injected_failures(), 0u);

    fs_->ClearFaults();
    // The ledger does not trust its log after a storage error: it refuses
    // until reopened, even with the disk healthy again.
    auto still = AppendPurchase("after");
    ASSERT_FALSE(still.ok());
    EXPECT_THAT(still.status().message(), HasSubstr("appending stopped after a storage failure"));
    EXPECT_TRUE(ledger_->Verify(1, before.sequence).ok());

    Reopen();
    ExpectIntact(before.sequence);
    EXPECT_EQ(*ledger_->HashAt(before.sequence), before.hash);
    auto retried = AppendPurchase("during");
    ASSERT_TRUE(retried.ok()) << retried.status();
    ASSERT_TRUE(AppendPurchase("after").ok());
    EXPECT_EQ(CountKey("purchase/during"), 1);
    EXPECT_EQ(CountKey("purchase/after"), 1);
    ExpectIntact(before.sequence + 4);
  }

  TempDir dir_;
  const std::string path_ = dir_.Sub("db");
  size_t write_buffer_bytes_ = 0;
  std::shared_ptr<FaultFileSystem> fs_;
  std::unique_ptr<rocksdb::Env> env_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(LedgerFaultTest, FailedWriteStopsAppendsUntilReopened) {
  CheckFailsThenResumesAfterReopen(&fs_->fail_writes, absl::StatusCode::kInternal,
                                   "injected write failure");
}

TEST_F(LedgerFaultTest, FailedSyncStopsAppendsUntilReopened) {
  CheckFailsThenResumesAfterReopen(&fs_->fail_syncs, absl::StatusCode::kInternal,
                                   "injected sync failure");
}

TEST_F(LedgerFaultTest, FullDiskIsUnavailableAndResumesAfterReopen) {
  CheckFailsThenResumesAfterReopen(&fs_->no_space, absl::StatusCode::kUnavailable,
                                   "No space left on device");
}

TEST_F(LedgerFaultTest, DiskTurnedReadOnlyStopsAppendsUntilReopened) {
  CheckFailsThenResumesAfterReopen(&fs_->read_only, absl::StatusCode::kInternal,
                                   "Read-only file system");
}

TEST_F(LedgerFaultTest, ConcurrentAppendersAllFailAndNoAcknowledgedEventIsLost) {
  Reopen();
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> max_acked{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        auto result = AppendPurchase(absl::StrCat("t", t, "-", i));
        if (result.ok()) {
          uint64_t seen = max_acked.load();
          while (seen < result->sequences.back() &&
                 !max_acked.compare_exchange_weak(seen, result->sequences.back())) {
          }
        } else {
          failures.fetch_add(1);
          EXPECT_THAT(result.status().message(), HasSubstr("storage failure"));
          return;  // a stopped ledger answers every later append the same way
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  fs_->fail_syncs.store(true);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop.store(true);
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 4);
  fs_->ClearFaults();
  Reopen();
  ExpectIntact(max_acked.load());
}

TEST_F(LedgerFaultTest, FailedReadsAreReportedAndHealOnTheirOwn) {
  // A small memtable, so that events are flushed into tables and read back
  // from the disk.
  write_buffer_bytes_ = 64 << 10;
  Reopen();
  for (int i = 0; i < 600; ++i) ASSERT_TRUE(AppendPurchase(absl::StrCat("p", i)).ok());
  const uint64_t head = ledger_->Head().sequence;
  Reopen();  // a cold block cache: reads go to the files

  fs_->fail_reads.store(true);
  absl::Status verified = ledger_->Verify(1, head);
  ASSERT_FALSE(verified.ok());
  EXPECT_THAT(verified.message(), HasSubstr("injected read failure"));
  fs_->ClearFaults();
  // Reads fail one at a time; the next read after the fault is healthy.
  EXPECT_TRUE(ledger_->Verify(1, head).ok()) << ledger_->Verify(1, head);
  ASSERT_TRUE(AppendPurchase("after-reads").ok());

  ledger_.reset();
  fs_->fail_reads.store(true);
  auto refused = OpenLedger();
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("injected read failure"));
  fs_->ClearFaults();
  Reopen();
  ExpectIntact(head + 2);
}

TEST_F(LedgerFaultTest, OpeningOnAReadOnlyDiskIsRefusedClearly) {
  Reopen();
  ASSERT_TRUE(AppendPurchase("p").ok());
  ledger_.reset();
  fs_->read_only.store(true);
  auto refused = OpenLedger();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_THAT(refused.status().message(),
              HasSubstr(absl::StrCat("ledger directory ", path_, " is on a read-only file system")));
  fs_->ClearFaults();
  Reopen();
  ExpectIntact(2);
}

TEST_F(LedgerFaultTest, SimulatedPowerCutKeepsEverythingAcknowledged) {
  Reopen();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(AppendPurchase(absl::StrCat("p", i)).ok());
  const ChainHead acked = ledger_->Head();
  fs_->Crash();
  EXPECT_FALSE(AppendPurchase("lost").ok());
  ledger_.reset();
  fs_->DropUnsyncedData();
  Reopen();
  EXPECT_EQ(ledger_->Head().sequence, acked.sequence);
  EXPECT_EQ(*ledger_->HashAt(acked.sequence), acked.hash);
  ExpectIntact(acked.sequence);
  ASSERT_TRUE(AppendPurchase("lost").ok());
}

// A child process that holds the ledger open until told to exit.
class LedgerHolder {
 public:
  explicit LedgerHolder(const std::string& path) {
    int ready[2];
    int done[2];
    if (pipe(ready) != 0 || pipe(done) != 0) std::abort();
    pid_ = fork();
    if (pid_ == 0) {
      close(ready[0]);
      close(done[1]);
      auto ledger = Ledger::Open(path, LedgerOptions());
      const char state = ledger.ok() ? 'y' : 'n';
      if (write(ready[1], &state, 1) != 1) _exit(2);
      char ignored;
      (void)!read(done[0], &ignored, 1);  // until the parent closes its end
      _exit(0);
    }
    close(ready[1]);
    close(done[0]);
    done_fd_ = done[1];
    char state = 'n';
    opened_ = read(ready[0], &state, 1) == 1 && state == 'y';
    close(ready[0]);
  }
  ~LedgerHolder() { Release(); }
  bool opened() const { return opened_; }
  void Release() {
    if (pid_ <= 0) return;
    close(done_fd_);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int done_fd_ = -1;
  bool opened_ = false;
};

TEST(LedgerDirectoryTest, SecondProcessIsRefusedWhileTheFirstHoldsTheLedger) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  {
    auto ledger = Ledger::Open(path, LedgerOptions());
    ASSERT_TRUE(ledger.ok());
    AppendBatch batch;
    batch.Add(Purchase("M1", "p1", 100));
    ASSERT_TRUE((*ledger)->Append(batch).ok());
  }
  LedgerHolder holder(path);
  ASSERT_TRUE(holder.opened());
  auto refused = Ledger::Open(path, LedgerOptions());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(),
              HasSubstr(absl::StrCat("ledger directory ", path, " is in use by another process")));
  holder.Release();
  auto reopened = Ledger::Open(path, LedgerOptions());
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->Head().sequence, 1u);
}

// A directory the user may not write, with the operating system's own
// permission checks: the open runs in a child that, when the test runs as
// root (for whom permissions do not apply), first becomes "nobody".
TEST(LedgerDirectoryTest, DirectoryTheUserCannotWriteIsRefusedClearly) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  {
    auto ledger = Ledger::Open(path, LedgerOptions());
    ASSERT_TRUE(ledger.ok());
  }
  // Readable and searchable by all, writable by none (the LOCK file too).
  ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    ASSERT_EQ(chmod(entry.path().c_str(), 0444), 0);
  }
  ASSERT_EQ(chmod(path.c_str(), 0555), 0);
  int message_pipe[2];
  ASSERT_EQ(pipe(message_pipe), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(message_pipe[0]);
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(10);
    if (geteuid() == 0) _exit(11);  // still root: the test would prove nothing
    auto ledger = Ledger::Open(path, LedgerOptions());
    if (ledger.ok()) _exit(12);
    const std::string message(ledger.status().message());
    (void)!write(message_pipe[1], message.data(), message.size());
    _exit(ledger.status().code() == absl::StatusCode::kPermissionDenied ? 0 : 13);
  }
  close(message_pipe[1]);
  std::string message;
  char buffer[512];
  ssize_t got;
  while ((got = read(message_pipe[0], buffer, sizeof(buffer))) > 0) message.append(buffer, got);
  close(message_pipe[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << message;
  EXPECT_THAT(message,
              HasSubstr(absl::StrCat("ledger directory ", path, " cannot be written by this user")));
  chmod(path.c_str(), 0755);
}

}  // namespace
}  // namespace loyalty
