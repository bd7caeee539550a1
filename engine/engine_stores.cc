#include "engine/engine_stores.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "util/db_directory.h"
#ifdef LOYALTY_WITH_POSTGRES
#include "privacy/postgres_member_key_store.h"
#endif

namespace loyalty::internal {
namespace {

// The first event of `ledger` that carries sealed personal data; 0 if none.
absl::StatusOr<uint64_t> FirstSealedPersonalData(const Ledger& ledger) {
  uint64_t found = 0;
  absl::Status status = ledger.Scan(1, ledger.Head().sequence, [&](const v1::Envelope& envelope) {
    const v1::Event& event = envelope.event();
    const bool sealed =
        (event.has_member_enrolled() && event.member_enrolled().personal().has_sealed()) ||
        (event.has_member_profile_updated() &&
         event.member_profile_updated().personal().has_sealed());
    if (!sealed) return absl::OkStatus();
    found = envelope.sequence();
    return absl::CancelledError();
  });
  if (!status.ok() && !absl::IsCancelled(status)) return status;
  return found;
}

// Why the store at `path`, found as `found`, is no store we may open.
std::string Unusable(const std::string& path, const util::DbDirectory& found) {
  switch (found.kind) {
    case util::DbDirectoryKind::kDamaged:
      return absl::StrCat(path, " is damaged: it holds the store's files (",
                          util::NamesForMessage(found.database_files),
                          ") but no usable CURRENT file");
    case util::DbDirectoryKind::kForeign:
      return absl::StrCat(path, " holds files that are not a store (",
                          util::NamesForMessage(found.other_entries), ")");
    case util::DbDirectoryKind::kNotADirectory:
      return absl::StrCat(path, " is a file, not a directory");
    default:
      return absl::StrCat(path, " cannot be opened");
  }
}

}  // namespace

std::string StorePath(const std::string& ledger_directory, absl::string_view store) {
  return (std::filesystem::path(ledger_directory) / std::string(store)).string();
}

NoticeSink NoticeSinkOf(const EngineOptions& options) {
  if (options.notice) return options.notice;
  return [](absl::string_view message) {
    const std::string line = absl::StrCat("loyalty: ", message, "\n");
    std::fwrite(line.data(), 1, line.size(), stderr);
  };
}

absl::StatusOr<std::unique_ptr<ProjectionStore>> SetAsideProjectionStore(
    const std::string& ledger_directory, absl::string_view why, const NoticeSink& notice) {
  const std::string path = StorePath(ledger_directory, kProjectionsDirectory);
  std::error_code error;
  std::string aside;
  if (std::filesystem::exists(path, error)) {
    absl::StatusOr<std::string> renamed = util::SetDirectoryAside(path);
    if (!renamed.ok()) return renamed.status();
    aside = *renamed;
  }
  absl::Status created = ProjectionStore::Create(path);
  if (!created.ok()) return created;
  notice(absl::StrCat("the projections' checkpoint was set aside",
                      aside.empty() ? "" : absl::StrCat(" (kept as ", aside, ")"), ": ", why,
                      "; the projections are rebuilt from the log"));
  return ProjectionStore::Open(path, /*read_only=*/false);
}

absl::StatusOr<std::unique_ptr<ProjectionStore>> OpenProjectionStore(
    const std::string& ledger_directory, bool read_only, const NoticeSink& notice,
    int* set_aside) {
  const std::string path = StorePath(ledger_directory, kProjectionsDirectory);
  absl::StatusOr<util::DbDirectory> found = util::InspectDbDirectory(path);
  if (!found.ok()) return found.status();
  std::string problem;
  switch (found->kind) {
    case util::DbDirectoryKind::kMissing:
    case util::DbDirectoryKind::kEmpty:
    case util::DbDirectoryKind::kInterruptedCreation: {
      if (read_only) return std::unique_ptr<ProjectionStore>();
      absl::Status created = ProjectionStore::Create(path);
      if (!created.ok()) return created;
      return ProjectionStore::Open(path, /*read_only=*/false);
    }
    case util::DbDirectoryKind::kDatabase: {
      absl::StatusOr<std::unique_ptr<ProjectionStore>> store =
          ProjectionStore::Open(path, read_only);
      if (store.ok() || !absl::IsDataLoss(store.status())) return store;
      problem = std::string(store.status().message());
      break;
    }
    default:
      problem = Unusable(path, *found);
      break;
  }
  ++*set_aside;
  if (read_only) {
    notice(absl::StrCat("the projections' checkpoint is not used: ", problem,
                        "; the projections are replayed from the log (a writing command sets it "
                        "aside and saves a new one)"));
    return std::unique_ptr<ProjectionStore>();
  }
  return SetAsideProjectionStore(ledger_directory, problem, notice);
}

absl::StatusOr<std::unique_ptr<privacy::MemberKeyStore>> OpenMemberKeyStore(
    const std::string& ledger_directory, bool read_only, const Ledger& ledger,
    absl::Status* unusable) {
  const std::string path = StorePath(ledger_directory, kMemberKeysDirectory);
  absl::StatusOr<util::DbDirectory> found = util::InspectDbDirectory(path);
  if (!found.ok()) return found.status();
  absl::Status problem;
  switch (found->kind) {
    case util::DbDirectoryKind::kDatabase: {
      absl::StatusOr<std::unique_ptr<privacy::MemberKeyStore>> store =
          privacy::MemberKeyStore::Open(path, read_only);
      if (store.ok()) return store;
      problem = absl::DataLossError(absl::StrCat(
          "the member key store ", path, " cannot be opened (", store.status().message(),
          "); nothing was changed. Restore it from a backup (docs/privacy.md)"));
      break;
    }
    case util::DbDirectoryKind::kMissing:
    case util::DbDirectoryKind::kEmpty:
    case util::DbDirectoryKind::kInterruptedCreation: {
      absl::StatusOr<uint64_t> sealed_at = FirstSealedPersonalData(ledger);
      if (!sealed_at.ok()) return sealed_at.status();
      if (*sealed_at > 0) {
        problem = absl::DataLossError(absl::StrCat(
            "the member key store ", path, " is missing, but the log holds personal data sealed "
            "with its keys (first at sequence ", *sealed_at,
            "); nothing was changed. Restore ", path, " from a backup (docs/privacy.md)"));
        break;
      }
      if (read_only) return std::unique_ptr<privacy::MemberKeyStore>();
      absl::Status created = privacy::MemberKeyStore::Create(path);
      if (!created.ok()) return created;
      return privacy::MemberKeyStore::Open(path, /*read_only=*/false);
    }
    default:
      problem = absl::DataLossError(absl::StrCat(
          "the member key store ", Unusable(path, *found),
          "; nothing was changed. Restore it from a backup, or work on a copy with RocksDB's "
          "repair (`ldb repair --db=COPY`, Debian's rocksdb-tools) (docs/privacy.md)"));
      break;
  }
  if (!read_only) return problem;
  *unusable = problem;
  return std::unique_ptr<privacy::MemberKeyStore>();
}

absl::StatusOr<std::unique_ptr<privacy::MemberKeyStore>> OpenMemberKeyStoreOnPostgres(
    const std::string& conninfo, bool read_only, const Ledger& ledger, absl::Status* unusable) {
#ifdef LOYALTY_WITH_POSTGRES
  absl::StatusOr<std::unique_ptr<privacy::MemberKeyStore>> store =
      privacy::OpenPostgresMemberKeyStore(conninfo, read_only, /*create=*/false);
  if (store.ok() || !absl::IsNotFound(store.status())) return store;
  absl::StatusOr<uint64_t> sealed_at = FirstSealedPersonalData(ledger);
  if (!sealed_at.ok()) return sealed_at.status();
  if (*sealed_at == 0) {
    if (read_only) return std::unique_ptr<privacy::MemberKeyStore>();
    return privacy::OpenPostgresMemberKeyStore(conninfo, /*read_only=*/false, /*create=*/true);
  }
  absl::Status problem = absl::DataLossError(absl::StrCat(
      store.status().message(), ", but the log holds personal data sealed with its keys (first "
      "at sequence ", *sealed_at, "); nothing was changed. Restore the table from a backup of "
      "the database (docs/privacy.md)"));
  if (!read_only) return problem;
  *unusable = problem;
  return std::unique_ptr<privacy::MemberKeyStore>();
#else
  (void)conninfo;
  (void)read_only;
  (void)ledger;
  (void)unusable;
  return absl::UnimplementedError("this build of the engine has no PostgreSQL (LOYALTY_POSTGRES)");
#endif
}

}  // namespace loyalty::internal

namespace loyalty {
namespace {

// What in `directory` (a ledger's) is not part of a ledger: its top level
// holds RocksDB's files and the stores' directories (projections set aside
// and stores being created included), and these only RocksDB's files; and
// the staging directory of a backup (copies of the stores).
absl::StatusOr<std::vector<std::string>> NotPartOfALedger(const std::string& directory) {
  namespace fs = std::filesystem;
  std::vector<std::string> strangers;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory, error)) {
    const std::string name = entry.path().filename().string();
    if (util::IsRocksDbFileName(name) && entry.is_regular_file(error)) continue;
    if (name == internal::kBackupStagingDirectory && entry.is_directory(error)) continue;
    const bool store = name == internal::kProjectionsDirectory ||
                       name == internal::kMemberKeysDirectory ||
                       absl::StartsWith(name, absl::StrCat(internal::kProjectionsDirectory,
                                                           ".damaged")) ||
                       absl::StartsWith(name, ".projections.creating-") ||
                       absl::StartsWith(name, ".member-keys.creating-");
    if (!store || !entry.is_directory(error)) {
      strangers.push_back(name);
      continue;
    }
    absl::StatusOr<util::DbDirectory> found = util::InspectDbDirectory(entry.path().string());
    if (!found.ok()) return found.status();
    for (const std::string& other : found->other_entries) {
      strangers.push_back(absl::StrCat(name, "/", other));
    }
  }
  if (error) return absl::InternalError(absl::StrCat("listing ", directory, ": ", error.message()));
  std::sort(strangers.begin(), strangers.end());
  return strangers;
}

}  // namespace

absl::Status DestroyLedger(const std::string& directory) {
  namespace fs = std::filesystem;
  absl::StatusOr<util::DbDirectory> found = util::InspectDbDirectory(directory);
  if (!found.ok()) return found.status();
  if (found->kind == util::DbDirectoryKind::kMissing ||
      found->kind == util::DbDirectoryKind::kNotADirectory) {
    return absl::NotFoundError(absl::StrCat("no ledger in ", directory, " to delete"));
  }
  absl::StatusOr<std::vector<std::string>> strangers = NotPartOfALedger(directory);
  if (!strangers.ok()) return strangers.status();
  if (!strangers->empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "directory ", directory, " holds more than a ledger (",
        util::NamesForMessage(*strangers), "); nothing was deleted"));
  }
  if (found->kind == util::DbDirectoryKind::kDatabase) {
    // Only a ledger nobody has open: the open takes its lock.
    LedgerOptions options;
    options.create_if_missing = false;
    absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(directory, options);
    if (!ledger.ok() && absl::IsFailedPrecondition(ledger.status())) return ledger.status();
  }
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory, error)) {
    fs::remove_all(entry.path(), error);
    if (error) {
      return absl::InternalError(
          absl::StrCat("deleting ", entry.path().string(), ": ", error.message()));
    }
  }
  if (error) return absl::InternalError(absl::StrCat("listing ", directory, ": ", error.message()));
  return absl::OkStatus();
}

}  // namespace loyalty
