// With `sync` on, an acknowledged append is in the synced part of the
// write-ahead log, even though the ledger writes a group to RocksDB first and
// syncs the log afterwards (while the next group is written). These tests run
// the ledger on a file system that records how much of each log file was
// synced, and can fail syncs on demand:
//  - a simulated power cut keeps only the synced bytes of the logs, and every
//    acknowledged event must still be there;
//  - a failed sync fails every append waiting for it, publishes nothing, and
//    stops appends until the ledger is reopened.
#include <atomic>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/rocksdb_ledger.h"
#include "loyalty/ledger.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "testing/events.h"
#include "testing/temp_dir.h"

namespace loyalty {
namespace {

using ::loyalty::testing::Purchase;
using ::loyalty::testing::TempDir;
using ::testing::HasSubstr;

bool IsLog(const std::string& path) { return absl::EndsWith(path, ".log"); }

// The simulated disk under a ledger: how many bytes of each write-ahead log
// were appended and synced, and a gate that every file operation passes, so
// that a power cut can look at a disk on which nothing is in progress.
class Disk {
 public:
  struct Log {
    uint64_t appended = 0;
    uint64_t synced = 0;
  };

  // Held by every file operation while it runs.
  std::shared_lock<std::shared_mutex> Operate() { return std::shared_lock(gate_); }

  void Appended(const std::string& path, uint64_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    logs_[path].appended += bytes;
  }
  uint64_t AppendedNow(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    return logs_[path].appended;
  }
  // A sync that started when `appended_before` bytes were appended covers
  // those bytes, and perhaps not the ones appended while it ran.
  void Synced(const std::string& path, uint64_t appended_before) {
    std::lock_guard<std::mutex> lock(mu_);
    Log& log = logs_[path];
    log.synced = std::max(log.synced, appended_before);
  }

  // A power cut: waits for the file operations in progress to end, holds
  // off new ones, and calls `at_cut` with the logs as they are. What
  // `at_cut` copies is what survives; afterwards the ledger runs on
  // undisturbed (its later work is not looked at).
  void Cut(const std::function<void(const std::map<std::string, Log>&)>& at_cut) {
    std::unique_lock<std::shared_mutex> gate(gate_);
    std::map<std::string, Log> logs;
    {
      std::lock_guard<std::mutex> lock(mu_);
      logs = logs_;
    }
    at_cut(logs);
  }

  std::atomic<bool> fail_syncs{false};

 private:
  std::shared_mutex gate_;
  std::mutex mu_;
  std::map<std::string, Log> logs_;
};

class RecordingFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  RecordingFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::string path, Disk* disk)
      : FSWritableFileOwnerWrapper(std::move(file)),
        path_(std::move(path)),
        log_(IsLog(path_)),
        disk_(disk) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    auto operating = disk_->Operate();
    rocksdb::IOStatus status = FSWritableFileOwnerWrapper::Append(data, options, dbg);
    if (status.ok() && log_) disk_->Appended(path_, data.size());
    return status;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    auto operating = disk_->Operate();
    rocksdb::IOStatus status = FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
    if (status.ok() && log_) disk_->Appended(path_, data.size());
    return status;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override {
    if (log_) return rocksdb::IOStatus::NotSupported("logs are appended to in order");
    auto operating = disk_->Operate();
    return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, dbg);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     const rocksdb::DataVerificationInfo& info,
                                     rocksdb::IODebugContext* dbg) override {
    if (log_) return rocksdb::IOStatus::NotSupported("logs are appended to in order");
    auto operating = disk_->Operate();
    return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, info, dbg);
  }
  rocksdb::IOStatus Truncate(uint64_t size, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
    if (log_) return rocksdb::IOStatus::NotSupported("logs are not truncated here");
    auto operating = disk_->Operate();
    return FSWritableFileOwnerWrapper::Truncate(size, options, dbg);
  }
  rocksdb::IOStatus Close(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    auto operating = disk_->Operate();
    return FSWritableFileOwnerWrapper::Close(options, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                         rocksdb::IODebugContext* dbg) override {
    return Synced([&] { return FSWritableFileOwnerWrapper::Sync(options, dbg); });
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    return Synced([&] { return FSWritableFileOwnerWrapper::Fsync(options, dbg); });
  }
  rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override {
    auto operating = disk_->Operate();
    return FSWritableFileOwnerWrapper::RangeSync(offset, nbytes, options, dbg);
  }

 private:
  template <typename SyncFn>
  rocksdb::IOStatus Synced(SyncFn sync) {
    auto operating = disk_->Operate();
    if (log_ && disk_->fail_syncs.load()) {
      return rocksdb::IOStatus::IOError("injected sync failure");
    }
    const uint64_t appended_before = log_ ? disk_->AppendedNow(path_) : 0;
    rocksdb::IOStatus status = sync();
    if (status.ok() && log_) disk_->Synced(path_, appended_before);
    return status;
  }

  const std::string path_;
  const bool log_;
  Disk* const disk_;
};

// Passes every file operation through the disk's gate, and records the
// write-ahead logs. At a power cut, each log keeps only its synced bytes;
// other files (tables, manifests) are synced by RocksDB before it relies on
// them, and are kept as they are.
class RecordingFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  RecordingFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "RecordingFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& path, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    auto operating = disk_.Operate();
    rocksdb::IOStatus status = FileSystemWrapper::NewWritableFile(path, options, result, dbg);
    if (status.ok()) *result = std::make_unique<RecordingFile>(std::move(*result), path, &disk_);
    return status;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& path,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    auto operating = disk_.Operate();
    rocksdb::IOStatus status = FileSystemWrapper::ReopenWritableFile(path, options, result, dbg);
    if (status.ok()) *result = std::make_unique<RecordingFile>(std::move(*result), path, &disk_);
    return status;
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string&, const std::string&,
                                      const rocksdb::FileOptions&,
                                      std::unique_ptr<rocksdb::FSWritableFile>*,
                                      rocksdb::IODebugContext*) override {
    return rocksdb::IOStatus::NotSupported("the ledger does not recycle logs");
  }
  rocksdb::IOStatus DeleteFile(const std::string& path, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override {
    auto operating = disk_.Operate();
    return FileSystemWrapper::DeleteFile(path, options, dbg);
  }
  rocksdb::IOStatus RenameFile(const std::string& from, const std::string& to,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override {
    auto operating = disk_.Operate();
    return FileSystemWrapper::RenameFile(from, to, options, dbg);
  }

  // Cuts the power, runs `at_cut` while nothing is written (to take note of
  // what was acknowledged by then), and copies `from` to `to` as the cut
  // leaves it.
  void CutPowerAndCopy(const std::string& from, const std::string& to,
                       const std::function<void()>& at_cut) {
    disk_.Cut([&](const std::map<std::string, Disk::Log>& logs) {
      at_cut();
      std::filesystem::create_directories(to);
      for (const auto& entry : std::filesystem::directory_iterator(from)) {
        const std::string path = entry.path().string();
        const std::string target = (std::filesystem::path(to) / entry.path().filename()).string();
        if (auto it = logs.find(path); it != logs.end()) {
          std::ifstream in(path, std::ios::binary);
          std::string bytes(it->second.synced, '\0');
          in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
          ASSERT_EQ(in.gcount(), static_cast<std::streamsize>(bytes.size())) << path;
          std::ofstream(target, std::ios::binary)
              .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        } else if (entry.path().filename() != "LOCK") {
          std::filesystem::copy_file(path, target);
        }
      }
      log_files_ = static_cast<int>(logs.size());
    });
  }

  // How many write-ahead log files were written before the cut.
  int log_files() const { return log_files_; }
  std::atomic<bool>& fail_syncs() { return disk_.fail_syncs; }

 private:
  Disk disk_;
  int log_files_ = 0;
};

class LedgerDurabilityTest : public ::testing::Test {
 protected:
  LedgerDurabilityTest()
      : file_system_(std::make_shared<RecordingFileSystem>()),
        env_(rocksdb::NewCompositeEnv(file_system_)) {}

  std::unique_ptr<Ledger> OpenRecorded(size_t write_buffer_bytes = 0) {
    internal::StorageHooks hooks;
    hooks.env = env_.get();
    hooks.write_buffer_bytes = write_buffer_bytes;
    auto opened = internal::RocksDbLedger::Open(path_, LedgerOptions(), hooks);
    EXPECT_TRUE(opened.ok()) << opened.status();
    return opened.ok() ? std::move(*opened) : nullptr;
  }

  // Appends from many threads until the power is cut, then checks that every
  // acknowledged batch is whole in the copy the cut leaves. Returns the
  // number of write-ahead log files written.
  void AppendAndCutPower(size_t write_buffer_bytes, int* log_files);

  TempDir dir_;
  const std::string path_ = dir_.Sub("db");
  std::shared_ptr<RecordingFileSystem> file_system_;
  std::unique_ptr<rocksdb::Env> env_;
};

// Many writers, so that groups are written while earlier ones are syncing;
// then the power is cut.
void LedgerDurabilityTest::AppendAndCutPower(size_t write_buffer_bytes, int* log_files) {
  std::unique_ptr<Ledger> ledger = OpenRecorded(write_buffer_bytes);
  ASSERT_NE(ledger, nullptr);
  constexpr int kThreads = 16;
  std::atomic<bool> stop{false};
  std::mutex acks_mu;
  std::vector<std::pair<uint64_t, std::string>> acks;  // last sequence, last key of a batch
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        AppendBatch batch;
        const int size = 1 + i % 3;
        for (int k = 0; k < size; ++k) {
          batch.Add(Purchase(absl::StrCat("M", (t * 7 + i) % 11), absl::StrCat(t, "-", i, "-", k),
                             100 + k));
        }
        auto result = ledger->Append(batch);
        if (!result.ok()) {
          ADD_FAILURE() << result.status();
          return;
        }
        std::lock_guard<std::mutex> lock(acks_mu);
        acks.emplace_back(result->sequences.back(), absl::StrCat("purchase/", t, "-", i, "-",
                                                                 size - 1));
      }
    });
  }
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::lock_guard<std::mutex> lock(acks_mu);
    if (acks.size() > 2000) break;
  }
  const std::string copy = dir_.Sub("after-power-cut");
  // The batches acknowledged by the cut; any acknowledged later were synced
  // after it, and are not looked for.
  std::vector<std::pair<uint64_t, std::string>> acknowledged;
  file_system_->CutPowerAndCopy(path_, copy, [&] {
    std::lock_guard<std::mutex> lock(acks_mu);
    acknowledged = acks;
  });
  *log_files = file_system_->log_files();
  stop.store(true);
  for (std::thread& thread : threads) thread.join();
  ledger.reset();

  auto reopened = Ledger::Open(copy, LedgerOptions());
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  const ChainHead head = (*reopened)->Head();
  ASSERT_TRUE((*reopened)->Verify(1, head.sequence).ok()) << (*reopened)->Verify(1, head.sequence);
  ASSERT_GT(acknowledged.size(), 2000u);
  for (const auto& [sequence, key] : acknowledged) {
    ASSERT_LE(sequence, head.sequence) << key << " was acknowledged but lost";
    auto events = (*reopened)->Read(sequence, 1);
    ASSERT_TRUE(events.ok());
    ASSERT_EQ(events->size(), 1u);
    EXPECT_EQ((*events)[0].idempotency_key(), key);
  }
  // Batches are whole.
  absl::flat_hash_map<std::string, int> parts;
  ASSERT_TRUE((*reopened)
                  ->Scan(1, head.sequence,
                         [&](const v1::Envelope& e) {
                           const std::string& key = e.idempotency_key();
                           parts[key.substr(0, key.rfind('-'))]++;
                           return absl::OkStatus();
                         })
                  .ok());
  for (const auto& [batch, count] : parts) {
    EXPECT_EQ(count, 1 + std::stoi(batch.substr(batch.rfind('-') + 1)) % 3) << batch;
  }
  RecordProperty("acknowledged_batches", static_cast<int>(acknowledged.size()));
  RecordProperty("events_after_power_cut", static_cast<int>(head.sequence));
}

TEST_F(LedgerDurabilityTest, AcknowledgedAppendsAreInTheSyncedLog) {
  int log_files = 0;
  AppendAndCutPower(0, &log_files);
}

// Memtables of 64 KiB: RocksDB switches to a new write-ahead log and flushes
// tables all the time while groups are written ahead of their syncs.
TEST_F(LedgerDurabilityTest, AcknowledgedAppendsSurviveLogSwitchesAndFlushes) {
  int log_files = 0;
  AppendAndCutPower(64 << 10, &log_files);
  EXPECT_GT(log_files, 3);
}

TEST_F(LedgerDurabilityTest, FailedSyncFailsItsWritersAndPublishesNothing) {
  std::unique_ptr<Ledger> ledger = OpenRecorded();
  ASSERT_NE(ledger, nullptr);
  {
    AppendBatch batch;
    batch.Add(Purchase("M1", "P0", 100));
    ASSERT_TRUE(ledger->Append(batch).ok());
  }
  const ChainHead before = ledger->Head();

  file_system_->fail_syncs().store(true);
  constexpr int kThreads = 8;
  std::vector<absl::Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      AppendBatch batch;
      batch.Add(Purchase("M1", absl::StrCat("P", t + 1), 100));
      results[t] = ledger->Append(batch).status();
    });
  }
  for (std::thread& thread : threads) thread.join();
  // Each gets the sync's error, or that of a later group's write, which
  // RocksDB refuses once the log has failed; either way appends stop.
  for (const absl::Status& status : results) {
    EXPECT_FALSE(status.ok());
    EXPECT_THAT(std::string(status.message()),
                HasSubstr("appending stopped after a storage failure"));
  }
  // The events are in RocksDB's memtable, but not published: no reader
  // sees them.
  EXPECT_EQ(ledger->Head().sequence, before.sequence);
  EXPECT_EQ(ledger->Head().hash, before.hash);
  EXPECT_EQ(*ledger->StreamVersion("member-M1"), 1u);
  int streamed = 0;
  ASSERT_TRUE(ledger
                  ->ScanStream("member-M1", 0,
                               [&](const v1::Envelope&) {
                                 ++streamed;
                                 return absl::OkStatus();
                               })
                  .ok());
  EXPECT_EQ(streamed, 1);
  EXPECT_EQ(ledger->Read(1, 100)->size(), 1u);
  EXPECT_EQ(ledger->HashAt(2).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(ledger->Verify(1, 100).ok()) << ledger->Verify(1, 100);

  // Appends stay stopped, even once syncs work again.
  file_system_->fail_syncs().store(false);
  AppendBatch later;
  later.Add(Purchase("M2", "P100", 100));
  auto refused = ledger->Append(later);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("reopen"));
  EXPECT_EQ(ledger->Head().sequence, before.sequence);

  // After reopening, the failed appends are either all in or not (their
  // outcome was unknown), retries are answered accordingly, and the chain
  // verifies.
  ledger.reset();
  ledger = OpenRecorded();
  ASSERT_NE(ledger, nullptr);
  EXPECT_GE(ledger->Head().sequence, before.sequence);
  for (int t = 0; t < kThreads; ++t) {
    AppendBatch retry;
    retry.Add(Purchase("M1", absl::StrCat("P", t + 1), 100));
    ASSERT_TRUE(ledger->Append(retry).ok());
  }
  EXPECT_EQ(ledger->Head().sequence, before.sequence + kThreads);
  EXPECT_EQ(*ledger->StreamVersion("member-M1"), 1u + kThreads);
  EXPECT_TRUE(ledger->Verify(1, ledger->Head().sequence).ok());
}

}  // namespace
}  // namespace loyalty
