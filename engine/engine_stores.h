// The engine's stores beside the ledger, DIRECTORY/projections and
// DIRECTORY/member-keys (a table beside the ledger's on PostgreSQL): opened
// as they are, created only where nothing is lost, and set aside (the
// projections, which are derived) when damaged.
#ifndef LOYALTY_ENGINE_ENGINE_STORES_H_
#define LOYALTY_ENGINE_ENGINE_STORES_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/projection_store.h"
#include "loyalty/engine.h"
#include "loyalty/ledger.h"
#include "privacy/member_key_store.h"

namespace loyalty::internal {

inline constexpr char kProjectionsDirectory[] = "projections";
inline constexpr char kMemberKeysDirectory[] = "member-keys";
// The audit store's, made by the audit commands (cli/audit_commands.cc).
inline constexpr char kAuditDirectory[] = "audit";
// Where Engine::Backup catches the stores before copying them; deleted when
// it is done, and by the next backup when one was interrupted.
inline constexpr char kBackupStagingDirectory[] = "backup-staging";

// The path of one of the stores above in the ledger's directory.
std::string StorePath(const std::string& ledger_directory, absl::string_view store);

// The projection store of the ledger in `ledger_directory`.
// Writing (`read_only` false): the existing store; a new one when there is
// none; when it cannot be opened (damaged, incomplete, not a store), it is
// set aside with SetAsideProjectionStore and a new one made.
// Read-only: the existing store, or nullptr when there is none or it cannot
// be opened (the projections are then replayed from the log in memory).
// Every store set aside or ignored is told to `notice` and counted in
// `*set_aside`.
absl::StatusOr<std::unique_ptr<ProjectionStore>> OpenProjectionStore(
    const std::string& ledger_directory, bool read_only, const NoticeSink& notice,
    int* set_aside);

// Renames the ledger's projection store to "projections.damaged" (the
// caller has closed it) and makes a new, empty one; tells `notice` why.
// Returns the new store, open for writing.
absl::StatusOr<std::unique_ptr<ProjectionStore>> SetAsideProjectionStore(
    const std::string& ledger_directory, absl::string_view why, const NoticeSink& notice);

// The member key store of the ledger in `ledger_directory`, never created
// over existing files.
// - An existing store is opened (read-only or not).
// - None (a missing or empty directory): a new one when writing, nullptr
//   when read-only; but DataLoss when `ledger` holds sealed personal data,
//   which the lost store's keys alone could open.
// - A damaged store, or a directory that holds other files: DataLoss naming
//   it and how to recover when writing; read-only, nullptr and
//   `*unusable` set to that error (only what needs personal data fails).
absl::StatusOr<std::unique_ptr<privacy::MemberKeyStore>> OpenMemberKeyStore(
    const std::string& ledger_directory, bool read_only, const Ledger& ledger,
    absl::Status* unusable);

// The member key store of a ledger on PostgreSQL (EngineOptions::
// postgres_uri), a table beside the ledger's, with the rules above: made
// only while the log holds no sealed personal data; missing otherwise,
// DataLoss when writing, and nullptr with `*unusable` set when read-only.
absl::StatusOr<std::unique_ptr<privacy::MemberKeyStore>> OpenMemberKeyStoreOnPostgres(
    const std::string& conninfo, bool read_only, const Ledger& ledger, absl::Status* unusable);

// The notice sink of `options`, or the default one (standard error).
NoticeSink NoticeSinkOf(const EngineOptions& options);

}  // namespace loyalty::internal

#endif  // LOYALTY_ENGINE_ENGINE_STORES_H_
