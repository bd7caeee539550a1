// `loyalty backup` and `loyalty restore` (include/loyalty/backup.h): backups
// of the ledger in --db, their list and check, and a restore into a new
// directory that is verified before it is in place; `loyalty copy`
// (include/loyalty/copy.h): a copy to a directory or to PostgreSQL.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/command.h"
#include "cli/commands.h"
#include "cli/ledger_io.h"
#include "loyalty/backup.h"
#include "loyalty/copy.h"
#include "loyalty/engine.h"
#include "util/conninfo.h"

namespace loyalty::cli {
namespace {

std::string Describe(const BackupInfo& backup) {
  return absl::StrCat("backup ", backup.backup_id, ": sequences 1..", backup.head.sequence,
                      ", head ", HashHex(backup.head.hash), ", taken ",
                      FormatTimeUs(backup.created_at_us), "; ", absl::StrJoin(backup.stores, ", "),
                      "; ", backup.file_count, " files, ", backup.size_bytes, " bytes");
}

std::string DescribeJson(const BackupInfo& backup) {
  std::vector<std::string> stores;
  for (const std::string& store : backup.stores) stores.push_back(absl::StrCat("\"", store, "\""));
  return absl::StrCat("{\"backup_id\":", backup.backup_id, ",\"created_at\":\"",
                      FormatTimeUs(backup.created_at_us), "\",\"created_at_us\":",
                      backup.created_at_us, ",\"head_sequence\":", backup.head.sequence,
                      ",\"head_hash\":\"", HashHex(backup.head.hash), "\",\"stores\":[",
                      absl::StrJoin(stores, ","), "],\"files\":", backup.file_count,
                      ",\"bytes\":", backup.size_bytes, "}");
}

int RunBackupCreate(CommandContext& context, const std::string& to) {
  absl::StatusOr<std::unique_ptr<Engine>> engine = OpenEngine(context.global);
  if (!engine.ok()) return ReportError(engine.status());
  absl::StatusOr<BackupInfo> backup = (*engine)->Backup(to);
  if (!backup.ok()) return ReportError(backup.status());
  Print(absl::StrCat(Describe(*backup), "; ", backup->copied_bytes, " bytes copied into ", to,
                     "; appends held ", backup->appends_held_us / 1000, " ms\n"));
  return kExitOk;
}

int RunBackupList(const std::string& from, bool json) {
  absl::StatusOr<std::vector<BackupInfo>> backups = ListBackups(from);
  if (!backups.ok()) return ReportError(backups.status());
  if (backups->empty()) ReportNotice("backup list", absl::StrCat("no backups in ", from, " yet"));
  for (const BackupInfo& backup : *backups) {
    Print(absl::StrCat(json ? DescribeJson(backup) : Describe(backup), "\n"));
  }
  return kExitOk;
}

int RunBackupPurge(const std::string& from, uint64_t keep) {
  if (keep > UINT32_MAX) keep = UINT32_MAX;  // more than there can be: keeps them all
  absl::StatusOr<std::vector<uint32_t>> deleted = PurgeBackups(from, static_cast<uint32_t>(keep));
  if (!deleted.ok()) return ReportError(deleted.status());
  if (deleted->empty()) {
    Print(absl::StrCat("nothing deleted: ", from, " holds ", keep, " backups or fewer\n"));
  } else {
    Print(absl::StrCat("deleted backups ", absl::StrJoin(*deleted, ", "), " from ", from, "\n"));
  }
  return kExitOk;
}

int RunBackupVerify(const std::string& from, uint64_t backup_id) {
  absl::StatusOr<std::vector<BackupInfo>> verified =
      VerifyBackup(from, static_cast<uint32_t>(backup_id));
  if (!verified.ok()) return ReportError(verified.status());
  for (const BackupInfo& backup : *verified) {
    Print(absl::StrCat("ok: backup ", backup.backup_id, " (", absl::StrJoin(backup.stores, ", "),
                       "): ", backup.file_count, " files match their checksums\n"));
  }
  return kExitOk;
}

// --backup-id must name a backup: 0 and past 2^32 are no backup's number.
absl::Status CheckBackupId(absl::string_view command, const FlagSet& flags, uint64_t backup_id) {
  if (!flags.WasSet("backup-id")) return absl::OkStatus();
  if (backup_id >= 1 && backup_id <= UINT32_MAX) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(command, ": --backup-id ", backup_id, " is no backup's number (they start at 1)"));
}

}  // namespace

int RunBackup(CommandContext& context) {
  std::string to;
  std::string from;
  uint64_t backup_id = 0;
  uint64_t keep = 0;
  bool json = false;
  FlagSet flags = context.NewFlagSet();
  flags.String("to", "DIR", "take a backup of --db into DIR", &to);
  flags.String("from", "DIR", "list, verify, purge: the backup directory", &from);
  flags.Uint64("backup-id", "N", "verify: only backup N (default: every backup)", &backup_id);
  flags.Uint64("keep", "N", "purge: the newest backups to keep (at least 1)", &keep);
  flags.Bool("json", "list: one JSON object per backup", &json);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 0, 1, &positional)) return *done;
  const std::string subcommand = positional.empty() ? "" : positional[0];
  if (subcommand != "" && subcommand != "list" && subcommand != "verify" &&
      subcommand != "purge") {
    return ReportError(absl::InvalidArgumentError(absl::StrCat(
        "backup: unknown subcommand \"", subcommand,
        "\": list, verify or purge, or none with --to DIR (see `loyalty help backup`)")));
  }
  const SubcommandFlags allowed = {{"", {"to"}},
                                   {"list", {"from", "json"}},
                                   {"verify", {"from", "backup-id"}},
                                   {"purge", {"from", "keep"}}};
  if (absl::Status own = CheckSubcommandFlags("backup", subcommand, flags, allowed); !own.ok()) {
    return ReportError(own);
  }
  if (subcommand.empty()) {
    if (to.empty()) {
      return ReportError(absl::InvalidArgumentError(
          "backup: give --to DIR to take a backup, or `backup list|verify|purge --from DIR`"));
    }
    return RunBackupCreate(context, to);
  }
  if (from.empty()) {
    return ReportError(absl::InvalidArgumentError(
        absl::StrCat("backup ", subcommand, ": give the backup directory as --from DIR")));
  }
  if (subcommand == "list") return RunBackupList(from, json);
  if (subcommand == "purge") {
    if (!flags.WasSet("keep")) {
      return ReportError(
          absl::InvalidArgumentError("backup purge: give --keep N, the newest backups to keep"));
    }
    return RunBackupPurge(from, keep);
  }
  if (absl::Status id = CheckBackupId("backup verify", flags, backup_id); !id.ok()) {
    return ReportError(id);
  }
  return RunBackupVerify(from, backup_id);
}

int RunRestore(CommandContext& context) {
  std::string from;
  uint64_t backup_id = 0;
  FlagSet flags = context.NewFlagSet();
  flags.String("from", "DIR", "the backup directory", &from);
  flags.Uint64("backup-id", "N", "the backup to restore (default: the latest)", &backup_id);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 0, 0, &positional)) return *done;
  if (from.empty()) {
    return ReportError(absl::InvalidArgumentError("restore: give the backup directory as --from DIR"));
  }
  if (absl::Status id = CheckBackupId("restore", flags, backup_id); !id.ok()) return ReportError(id);
  const std::string& directory = context.global.db_directory;
  absl::StatusOr<BackupInfo> restored =
      RestoreBackup(from, static_cast<uint32_t>(backup_id), directory);
  if (!restored.ok()) return ReportError(restored.status());
  Print(absl::StrCat("restored backup ", restored->backup_id, " (",
                     absl::StrJoin(restored->stores, ", "), ") into ", directory,
                     "\nok: verified sequences 1..", restored->head.sequence, ", head ",
                     HashHex(restored->head.hash), "\n"));
  const bool has_keys = std::find(restored->stores.begin(), restored->stores.end(),
                                  "member-keys") != restored->stores.end();
  if (has_keys) {
    ReportNotice("restore", absl::StrCat("personal data opens with the master key the backup was "
                                       "taken under: put it at ", directory,
                                         ".key or pass --master-key FILE (docs/privacy.md)"));
  }
  return kExitOk;
}

int RunCopy(CommandContext& context) {
  std::string to;
  FlagSet flags = context.NewFlagSet();
  flags.String("to", "DEST", "the copy: a new or empty directory, a postgresql:// URI, or an "
               "earlier copy to bring up to date", &to);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 0, 0, &positional)) return *done;
  if (to.empty()) {
    return ReportError(absl::InvalidArgumentError(
        "copy: give the destination as --to DEST (a directory or a postgresql:// URI)"));
  }
  absl::StatusOr<CopyReport> copied = CopyLedger(context.global.db_directory, to);
  if (!copied.ok()) return ReportError(copied.status());
  Print(absl::StrCat("copied ", copied->events_copied, " events after the ",
                     copied->events_present, " already there, ", copied->member_keys_copied,
                     " member keys (", copied->member_keys_destroyed,
                     " destroyed) into ", util::ShownLocation(to), "\nok: verified sequences 1..",
                     copied->head.sequence, ", head ", HashHex(copied->head.hash), "\n"));
  ReportNotice("copy", util::IsPostgresUri(to)
                           ? "personal data opens with the source's master key: pass it as "
                             "--master-key FILE (docs/privacy.md)"
                           : absl::StrCat("personal data opens with the source's master key: put "
                                          "it at ", to, ".key or pass --master-key FILE "
                                          "(docs/privacy.md)"));
  return kExitOk;
}

}  // namespace loyalty::cli
