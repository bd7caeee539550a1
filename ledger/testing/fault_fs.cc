#include "ledger/testing/fault_fs.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"

namespace loyalty::testing {
namespace {

using rocksdb::IOStatus;

bool IsLog(const std::string& path) { return absl::EndsWith(path, ".log"); }

class FaultWritableFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultWritableFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::string path,
                    FaultFileSystem* fs, uint64_t size)
      : FSWritableFileOwnerWrapper(std::move(file)),
        path_(std::move(path)),
        log_(IsLog(path_)),
        fs_(fs),
        size_(size) {}

  IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                  rocksdb::IODebugContext* dbg) override {
    if (IOStatus fault = fs_->CheckWrite(path_); !fault.ok()) return fault;
    return Appended(FSWritableFileOwnerWrapper::Append(data, options, dbg),
                    size_.load() + data.size());
  }
  IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                  const rocksdb::DataVerificationInfo& info,
                  rocksdb::IODebugContext* dbg) override {
    if (IOStatus fault = fs_->CheckWrite(path_); !fault.ok()) return fault;
    return Appended(FSWritableFileOwnerWrapper::Append(data, options, info, dbg),
                    size_.load() + data.size());
  }
  IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                            const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
    if (IOStatus fault = fs_->CheckWrite(path_); !fault.ok()) return fault;
    return Appended(FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, dbg),
                    std::max<uint64_t>(size_.load(), offset + data.size()));
  }
  IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                            const rocksdb::IOOptions& options,
                            const rocksdb::DataVerificationInfo& info,
                            rocksdb::IODebugContext* dbg) override {
    if (IOStatus fault = fs_->CheckWrite(path_); !fault.ok()) return fault;
    return Appended(
        FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, info, dbg),
        std::max<uint64_t>(size_.load(), offset + data.size()));
  }
  IOStatus Truncate(uint64_t size, const rocksdb::IOOptions& options,
                    rocksdb::IODebugContext* dbg) override {
    if (IOStatus fault = fs_->CheckWrite(path_); !fault.ok()) return fault;
    IOStatus status = FSWritableFileOwnerWrapper::Truncate(size, options, dbg);
    if (status.ok()) size_.store(size);
    return status;
  }
  IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    return Synced([&] { return FSWritableFileOwnerWrapper::Sync(options, dbg); });
  }
  IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    return Synced([&] { return FSWritableFileOwnerWrapper::Fsync(options, dbg); });
  }
  IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const rocksdb::IOOptions& options,
                     rocksdb::IODebugContext* dbg) override {
    // A range sync is a hint that starts write-back; it makes nothing durable
    // that a later Sync would not, so it is not counted as a sync.
    if (IOStatus fault = fs_->CheckSync(path_); !fault.ok()) return fault;
    if (!fs_->real_syncs.load()) return IOStatus::OK();
    return FSWritableFileOwnerWrapper::RangeSync(offset, nbytes, options, dbg);
  }

 private:
  IOStatus Appended(IOStatus status, uint64_t new_size) {
    if (status.ok()) {
      size_.store(new_size);
      if (log_) fs_->Appended(path_, new_size);
    }
    return status;
  }
  template <typename SyncFn>
  IOStatus Synced(SyncFn sync) {
    if (IOStatus fault = fs_->CheckSync(path_); !fault.ok()) return fault;
    const uint64_t appended_before = size_.load();
    IOStatus status = fs_->real_syncs.load() ? sync() : IOStatus::OK();
    if (status.ok() && log_) fs_->Synced(path_, appended_before);
    return status;
  }

  const std::string path_;
  const bool log_;
  FaultFileSystem* const fs_;
  // Bytes in the file, as written through this handle. Atomic: RocksDB
  // syncs the write-ahead log from one thread while another appends to it.
  std::atomic<uint64_t> size_;
};

class FaultSequentialFile final : public rocksdb::FSSequentialFileOwnerWrapper {
 public:
  FaultSequentialFile(std::unique_ptr<rocksdb::FSSequentialFile> file, std::string path,
                      FaultFileSystem* fs)
      : FSSequentialFileOwnerWrapper(std::move(file)), path_(std::move(path)), fs_(fs) {}

  IOStatus Read(size_t n, const rocksdb::IOOptions& options, rocksdb::Slice* result,
                char* scratch, rocksdb::IODebugContext* dbg) override {
    if (IOStatus fault = fs_->CheckRead(path_); !fault.ok()) return fault;
    return FSSequentialFileOwnerWrapper::Read(n, options, result, scratch, dbg);
  }
  IOStatus PositionedRead(uint64_t offset, size_t n, const rocksdb::IOOptions& options,
                          rocksdb::Slice* result, char* scratch,
                          rocksdb::IODebugContext* dbg) override {
    if (IOStatus fault = fs_->CheckRead(path_); !fault.ok()) return fault;
    return FSSequentialFileOwnerWrapper::PositionedRead(offset, n, options, result, scratch, dbg);
  }

 private:
  const std::string path_;
  FaultFileSystem* const fs_;
};

class FaultRandomAccessFile final : public rocksdb::FSRandomAccessFileOwnerWrapper {
 public:
  FaultRandomAccessFile(std::unique_ptr<rocksdb::FSRandomAccessFile> file, std::string path,
                        FaultFileSystem* fs)
      : FSRandomAccessFileOwnerWrapper(std::move(file)), path_(std::move(path)), fs_(fs) {}

  IOStatus Read(uint64_t offset, size_t n, const rocksdb::IOOptions& options,
                rocksdb::Slice* result, char* scratch,
                rocksdb::IODebugContext* dbg) const override {
    if (IOStatus fault = fs_->CheckRead(path_); !fault.ok()) return fault;
    return FSRandomAccessFileOwnerWrapper::Read(offset, n, options, result, scratch, dbg);
  }
  IOStatus MultiRead(rocksdb::FSReadRequest* requests, size_t count,
                     const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    if (IOStatus fault = fs_->CheckRead(path_); !fault.ok()) {
      for (size_t i = 0; i < count; ++i) requests[i].status = fault;
      return fault;
    }
    return FSRandomAccessFileOwnerWrapper::MultiRead(requests, count, options, dbg);
  }
  IOStatus Prefetch(uint64_t offset, size_t n, const rocksdb::IOOptions& options,
                    rocksdb::IODebugContext* dbg) override {
    if (IOStatus fault = fs_->CheckRead(path_); !fault.ok()) return fault;
    return FSRandomAccessFileOwnerWrapper::Prefetch(offset, n, options, dbg);
  }
  IOStatus ReadAsync(rocksdb::FSReadRequest& request, const rocksdb::IOOptions& options,
                     std::function<void(const rocksdb::FSReadRequest&, void*)> callback,
                     void* callback_arg, void** io_handle, rocksdb::IOHandleDeleter* deleter,
                     rocksdb::IODebugContext* dbg) override {
    if (IOStatus fault = fs_->CheckRead(path_); !fault.ok()) return fault;
    return FSRandomAccessFileOwnerWrapper::ReadAsync(request, options, std::move(callback),
                                                     callback_arg, io_handle, deleter, dbg);
  }

 private:
  const std::string path_;
  FaultFileSystem* const fs_;
};

// A directory whose fsyncs fail as file syncs do, and are skipped when
// syncs are simulated.
class FaultDirectory final : public rocksdb::FSDirectory {
 public:
  FaultDirectory(std::unique_ptr<rocksdb::FSDirectory> target, std::string path,
                 FaultFileSystem* fs)
      : target_(std::move(target)), path_(std::move(path)), fs_(fs) {}

  IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    if (IOStatus fault = fs_->CheckSync(path_); !fault.ok()) return fault;
    return fs_->real_syncs.load() ? target_->Fsync(options, dbg) : IOStatus::OK();
  }
  IOStatus FsyncWithDirOptions(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg,
                               const rocksdb::DirFsyncOptions& dir_options) override {
    if (IOStatus fault = fs_->CheckSync(path_); !fault.ok()) return fault;
    return fs_->real_syncs.load() ? target_->FsyncWithDirOptions(options, dbg, dir_options)
                                  : IOStatus::OK();
  }
  IOStatus Close(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    return target_->Close(options, dbg);
  }
  size_t GetUniqueId(char* id, size_t max_size) const override {
    return target_->GetUniqueId(id, max_size);
  }

 private:
  std::unique_ptr<rocksdb::FSDirectory> target_;
  const std::string path_;
  FaultFileSystem* const fs_;
};

}  // namespace

FaultFileSystem::FaultFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}

void FaultFileSystem::ClearFaults() {
  fail_writes.store(false);
  fail_syncs.store(false);
  fail_reads.store(false);
  no_space.store(false);
  read_only.store(false);
}

IOStatus FaultFileSystem::CheckWrite(const std::string& path) {
  IOStatus fault;
  if (crashed_.load()) {
    fault = IOStatus::IOError(path, "simulated crash: nothing more reaches the disk");
  } else if (read_only.load()) {
    fault = IOStatus::IOError(path, "Read-only file system (injected)");
  } else if (no_space.load()) {
    fault = IOStatus::NoSpace(path, "No space left on device (injected)");
  } else if (fail_writes.load()) {
    fault = IOStatus::IOError(path, "Input/output error (injected write failure)");
  } else {
    return IOStatus::OK();
  }
  injected_failures_.fetch_add(1);
  return fault;
}

IOStatus FaultFileSystem::CheckSync(const std::string& path) {
  if (crashed_.load()) {
    injected_failures_.fetch_add(1);
    return IOStatus::IOError(path, "simulated crash: nothing more reaches the disk");
  }
  if (fail_syncs.load()) {
    injected_failures_.fetch_add(1);
    return IOStatus::IOError(path, "Input/output error (injected sync failure)");
  }
  return IOStatus::OK();
}

IOStatus FaultFileSystem::CheckRead(const std::string& path) {
  if (fail_reads.load()) {
    injected_failures_.fetch_add(1);
    return IOStatus::IOError(path, "Input/output error (injected read failure)");
  }
  return IOStatus::OK();
}

IOStatus FaultFileSystem::CheckMutateName(const std::string& path) {
  // Creating, renaming and deleting names fail as writes do, but a full
  // disk still lets files be deleted and renamed.
  if (crashed_.load() || read_only.load() || fail_writes.load()) return CheckWrite(path);
  return IOStatus::OK();
}

void FaultFileSystem::Appended(const std::string& path, uint64_t end_offset) {
  std::lock_guard<std::mutex> lock(mu_);
  Log& log = logs_[path];
  log.appended = std::max(log.appended, end_offset);
}

uint64_t FaultFileSystem::AppendedNow(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  return logs_[path].appended;
}

void FaultFileSystem::Synced(const std::string& path, uint64_t appended_before) {
  std::lock_guard<std::mutex> lock(mu_);
  Log& log = logs_[path];
  log.synced = std::max(log.synced, appended_before);
}

uint64_t FaultFileSystem::DropUnsyncedData() {
  uint64_t dropped = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [path, log] : logs_) {
      std::error_code error;
      const uintmax_t size = std::filesystem::file_size(path, error);
      if (error) continue;  // deleted since
      if (size > log.synced) {
        std::filesystem::resize_file(path, log.synced, error);
        if (!error) dropped += size - log.synced;
      }
      log.appended = log.synced;
    }
  }
  crashed_.store(false);
  return dropped;
}

IOStatus FaultFileSystem::NewSequentialFile(const std::string& path,
                                            const rocksdb::FileOptions& options,
                                            std::unique_ptr<rocksdb::FSSequentialFile>* result,
                                            rocksdb::IODebugContext* dbg) {
  if (IOStatus fault = CheckRead(path); !fault.ok()) return fault;
  IOStatus status = FileSystemWrapper::NewSequentialFile(path, options, result, dbg);
  if (status.ok()) *result = std::make_unique<FaultSequentialFile>(std::move(*result), path, this);
  return status;
}

IOStatus FaultFileSystem::NewRandomAccessFile(
    const std::string& path, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSRandomAccessFile>* result, rocksdb::IODebugContext* dbg) {
  if (IOStatus fault = CheckRead(path); !fault.ok()) return fault;
  IOStatus status = FileSystemWrapper::NewRandomAccessFile(path, options, result, dbg);
  if (status.ok()) {
    *result = std::make_unique<FaultRandomAccessFile>(std::move(*result), path, this);
  }
  return status;
}

IOStatus FaultFileSystem::NewWritableFile(const std::string& path,
                                          const rocksdb::FileOptions& options,
                                          std::unique_ptr<rocksdb::FSWritableFile>* result,
                                          rocksdb::IODebugContext* dbg) {
  if (IOStatus fault = CheckWrite(path); !fault.ok()) return fault;
  IOStatus status = FileSystemWrapper::NewWritableFile(path, options, result, dbg);
  if (status.ok()) {
    if (IsLog(path)) {
      std::lock_guard<std::mutex> lock(mu_);
      logs_[path] = Log();
    }
    *result = std::make_unique<FaultWritableFile>(std::move(*result), path, this, 0);
  }
  return status;
}

IOStatus FaultFileSystem::ReopenWritableFile(const std::string& path,
                                             const rocksdb::FileOptions& options,
                                             std::unique_ptr<rocksdb::FSWritableFile>* result,
                                             rocksdb::IODebugContext* dbg) {
  if (IOStatus fault = CheckWrite(path); !fault.ok()) return fault;
  IOStatus status = FileSystemWrapper::ReopenWritableFile(path, options, result, dbg);
  if (status.ok()) {
    std::error_code error;
    const uintmax_t size = std::filesystem::file_size(path, error);
    const uint64_t existing = error ? 0 : size;
    if (IsLog(path)) {
      // What was there before is treated as synced: it was on the disk
      // before this file system reopened it.
      std::lock_guard<std::mutex> lock(mu_);
      Log& log = logs_[path];
      log.appended = existing;
      log.synced = existing;
    }
    *result = std::make_unique<FaultWritableFile>(std::move(*result), path, this, existing);
  }
  return status;
}

IOStatus FaultFileSystem::ReuseWritableFile(const std::string& path, const std::string& old_path,
                                            const rocksdb::FileOptions& options,
                                            std::unique_ptr<rocksdb::FSWritableFile>* result,
                                            rocksdb::IODebugContext* dbg) {
  if (IOStatus fault = CheckWrite(path); !fault.ok()) return fault;
  IOStatus status = FileSystemWrapper::ReuseWritableFile(path, old_path, options, result, dbg);
  if (status.ok()) {
    if (IsLog(path)) {
      std::lock_guard<std::mutex> lock(mu_);
      logs_.erase(old_path);
      logs_[path] = Log();
    }
    *result = std::make_unique<FaultWritableFile>(std::move(*result), path, this, 0);
  }
  return status;
}

IOStatus FaultFileSystem::NewRandomRWFile(const std::string& path,
                                          const rocksdb::FileOptions& options,
                                          std::unique_ptr<rocksdb::FSRandomRWFile>* result,
                                          rocksdb::IODebugContext* dbg) {
  if (IOStatus fault = CheckWrite(path); !fault.ok()) return fault;
  return FileSystemWrapper::NewRandomRWFile(path, options, result, dbg);
}

IOStatus FaultFileSystem::DeleteFile(const std::string& path, const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) {
  if (IOStatus fault = CheckMutateName(path); !fault.ok()) return fault;
  IOStatus status = FileSystemWrapper::DeleteFile(path, options, dbg);
  if (status.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    logs_.erase(path);
  }
  return status;
}

IOStatus FaultFileSystem::RenameFile(const std::string& from, const std::string& to,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) {
  if (IOStatus fault = CheckMutateName(to); !fault.ok()) return fault;
  IOStatus status = FileSystemWrapper::RenameFile(from, to, options, dbg);
  if (status.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = logs_.find(from);
    if (it != logs_.end()) {
      Log log = it->second;
      logs_.erase(it);
      if (IsLog(to)) logs_[to] = log;
    }
  }
  return status;
}

IOStatus FaultFileSystem::LinkFile(const std::string& from, const std::string& to,
                                   const rocksdb::IOOptions& options,
                                   rocksdb::IODebugContext* dbg) {
  if (IOStatus fault = CheckMutateName(to); !fault.ok()) return fault;
  return FileSystemWrapper::LinkFile(from, to, options, dbg);
}

IOStatus FaultFileSystem::CreateDir(const std::string& path, const rocksdb::IOOptions& options,
                                    rocksdb::IODebugContext* dbg) {
  if (IOStatus fault = CheckMutateName(path); !fault.ok()) return fault;
  return FileSystemWrapper::CreateDir(path, options, dbg);
}

IOStatus FaultFileSystem::CreateDirIfMissing(const std::string& path,
                                             const rocksdb::IOOptions& options,
                                             rocksdb::IODebugContext* dbg) {
  if (read_only.load() || crashed_.load()) {
    // An existing directory is fine on a read-only disk; creating one is not.
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) return IOStatus::OK();
    return CheckWrite(path);
  }
  return FileSystemWrapper::CreateDirIfMissing(path, options, dbg);
}

IOStatus FaultFileSystem::NewDirectory(const std::string& path, const rocksdb::IOOptions& options,
                                      std::unique_ptr<rocksdb::FSDirectory>* result,
                                      rocksdb::IODebugContext* dbg) {
  IOStatus status = FileSystemWrapper::NewDirectory(path, options, result, dbg);
  if (status.ok()) *result = std::make_unique<FaultDirectory>(std::move(*result), path, this);
  return status;
}

IOStatus FaultFileSystem::LockFile(const std::string& path, const rocksdb::IOOptions& options,
                                   rocksdb::FileLock** lock, rocksdb::IODebugContext* dbg) {
  // Taking the lock opens LOCK for writing, which a read-only disk refuses.
  if (read_only.load()) return CheckWrite(path);
  return FileSystemWrapper::LockFile(path, options, lock, dbg);
}

std::unique_ptr<rocksdb::Env> NewFaultEnv(const std::shared_ptr<FaultFileSystem>& fs) {
  return rocksdb::NewCompositeEnv(fs);
}

}  // namespace loyalty::testing
