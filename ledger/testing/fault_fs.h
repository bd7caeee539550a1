// A RocksDB file system for tests that fails operations on command, so that
// tests can check what the ledger does when the disk misbehaves, and that
// can forget what was never synced, as a power cut would.
//
// Faults (each an independent switch, safe to flip from any thread while a
// ledger runs on the file system):
//  - fail_writes: appends to files, new files and renames fail (EIO);
//  - fail_syncs: fsync/fdatasync of files fail (EIO), nothing is synced;
//  - fail_reads: reads of files fail (EIO);
//  - no_space: appends and new files fail with ENOSPC (IOStatus::NoSpace);
//  - read_only: creating, writing, renaming, deleting and locking files fail
//    as on a file system mounted read-only (EROFS); reads still work.
// A simulated crash (Crash()) makes every later write and sync fail without
// touching the disk; after the database is closed, DropUnsyncedData() cuts
// every write-ahead log back to its synced length, which is what the disk
// would hold after a power cut. Other files (tables, manifests) are synced
// by RocksDB before it relies on them and are kept as they are.
#ifndef LOYALTY_LEDGER_TESTING_FAULT_FS_H_
#define LOYALTY_LEDGER_TESTING_FAULT_FS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace loyalty::testing {

class FaultFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  FaultFileSystem();
  const char* Name() const override { return "FaultFileSystem"; }

  std::atomic<bool> fail_writes{false};
  std::atomic<bool> fail_syncs{false};
  std::atomic<bool> fail_reads{false};
  std::atomic<bool> no_space{false};
  std::atomic<bool> read_only{false};
  // Off: syncs are recorded (DropUnsyncedData keeps what they covered) but
  // not passed to the disk, which makes simulations fast; the files then
  // survive a simulated crash, not a real power cut.
  std::atomic<bool> real_syncs{true};

  // Turns every fault off (not a crash in progress).
  void ClearFaults();
  // From now on nothing more reaches the disk: writes and syncs fail.
  void Crash() { crashed_.store(true); }
  // After the database on this file system is closed: truncates every
  // write-ahead log to the bytes that were synced, and ends the crash.
  // Returns the number of bytes dropped.
  uint64_t DropUnsyncedData();
  // How many operations failed because of an injected fault or a crash.
  uint64_t injected_failures() const { return injected_failures_.load(); }

  // The checks file wrappers make before each kind of operation: OK, or
  // the injected failure.
  rocksdb::IOStatus CheckWrite(const std::string& path);
  rocksdb::IOStatus CheckSync(const std::string& path);
  rocksdb::IOStatus CheckRead(const std::string& path);
  rocksdb::IOStatus CheckMutateName(const std::string& path);
  // Bookkeeping of the write-ahead logs' appended and synced lengths.
  void Appended(const std::string& path, uint64_t end_offset);
  uint64_t AppendedNow(const std::string& path);
  void Synced(const std::string& path, uint64_t appended_before);

  rocksdb::IOStatus NewSequentialFile(const std::string& path, const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSSequentialFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewRandomAccessFile(const std::string& path,
                                        const rocksdb::FileOptions& options,
                                        std::unique_ptr<rocksdb::FSRandomAccessFile>* result,
                                        rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewWritableFile(const std::string& path, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& path,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& path, const std::string& old_path,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewRandomRWFile(const std::string& path, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSRandomRWFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& path, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& from, const std::string& to,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus LinkFile(const std::string& from, const std::string& to,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus CreateDir(const std::string& path, const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus CreateDirIfMissing(const std::string& path, const rocksdb::IOOptions& options,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewDirectory(const std::string& path, const rocksdb::IOOptions& options,
                                 std::unique_ptr<rocksdb::FSDirectory>* result,
                                 rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus LockFile(const std::string& path, const rocksdb::IOOptions& options,
                             rocksdb::FileLock** lock, rocksdb::IODebugContext* dbg) override;

 private:
  struct Log {
    uint64_t appended = 0;
    uint64_t synced = 0;
  };
  std::atomic<bool> crashed_{false};
  std::atomic<uint64_t> injected_failures_{0};
  std::mutex mu_;
  std::map<std::string, Log> logs_;  // guarded by mu_
};

// An Env whose files go through `fs`; what StorageHooks::env takes.
std::unique_ptr<rocksdb::Env> NewFaultEnv(const std::shared_ptr<FaultFileSystem>& fs);

}  // namespace loyalty::testing

#endif  // LOYALTY_LEDGER_TESTING_FAULT_FS_H_
