#include "cli/command.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "util/check.h"
#include "util/conninfo.h"

namespace loyalty::cli {

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kAlreadyExists:
      return kExitUsage;
    case absl::StatusCode::kDataLoss:
      return kExitDataLoss;
    default:
      return kExitError;
  }
}

int ReportError(const absl::Status& status) {
  const std::string line = absl::StrCat("loyalty: ", status.message(), "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
  return ExitCodeFor(status);
}

void ReportNotice(absl::string_view command, absl::string_view message) {
  const std::string line = absl::StrCat("loyalty: ", command, ": ", message, "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void Print(absl::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); }

absl::Status CheckBackendFlags(absl::string_view command, const GlobalOptions& global) {
  if (!util::IsPostgresUri(global.db_directory)) {
    if (global.checkpoint_directory.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        command, ": flag --checkpoint-dir \"", global.checkpoint_directory,
        "\" goes with a ledger in PostgreSQL (--db postgresql://...); a ledger directory keeps "
        "its checkpoint inside"));
  }
  // What works on the files of a ledger directory: its backups, the audit
  // store beside it, the demo's fresh ledger.
  for (absl::string_view local : {"demo", "backup", "restore", "checkpoint", "prove",
                                  "audit-bundle"}) {
    if (command != local) continue;
    return absl::InvalidArgumentError(absl::StrCat(
        command, " works on a ledger directory, and --db names a ledger in PostgreSQL; back that "
        "up with PostgreSQL's own tools (docs/replication.md)"));
  }
  return absl::OkStatus();
}

void AddGlobalFlags(FlagSet& flags, GlobalOptions* options) {
  flags.String("db", "DIR|URI",
               "the ledger directory, or a postgresql:// URI of a ledger in PostgreSQL "
               "(default: ./loyalty-data)",
               &options->db_directory);
  flags.String("checkpoint-dir", "DIR",
               "with --db postgresql://...: where the projections' checkpoint is kept (made if "
               "missing); without it each command replays the log",
               &options->checkpoint_directory);
  flags.Bool("allow-open-master-key",
             "use a master key file that its group or others may access, with a warning "
             "(refused otherwise; fix it with chmod 600 FILE)",
             &options->allow_open_master_key);
}

absl::Status CheckSubcommandFlags(absl::string_view command, absl::string_view subcommand,
                                  const FlagSet& flags, const SubcommandFlags& allowed) {
  const std::vector<std::string>* own = nullptr;
  for (const auto& [name, names] : allowed) {
    if (name == subcommand) own = &names;
  }
  LOYALTY_CHECK_MSG(own != nullptr, command, ": subcommand \"", subcommand, "\" is not listed");
  auto used_as = [&](absl::string_view name) {
    return name.empty() ? std::string(command) : absl::StrCat(command, " ", name);
  };
  for (const auto& [name, names] : allowed) {
    for (const std::string& flag : names) {
      if (!flags.WasSet(flag) || std::find(own->begin(), own->end(), flag) != own->end()) continue;
      std::vector<std::string> owners;
      for (const auto& [owner, owner_flags] : allowed) {
        if (std::find(owner_flags.begin(), owner_flags.end(), flag) != owner_flags.end()) {
          owners.push_back(absl::StrCat("`", used_as(owner), "`"));
        }
      }
      return absl::InvalidArgumentError(absl::StrCat(used_as(subcommand), ": flag --", flag,
                                                     " belongs to ", absl::StrJoin(owners, ", ")));
    }
  }
  return absl::OkStatus();
}

FlagSet CommandContext::NewFlagSet() {
  FlagSet flags;
  AddGlobalFlags(flags, &global);
  return flags;
}

std::optional<int> CommandContext::ParseArgs(FlagSet& flags, size_t min_positional,
                                             size_t max_positional,
                                             std::vector<std::string>* positional) {
  const std::string hint = absl::StrCat(" (see `loyalty help ", command->name, "`)");
  absl::StatusOr<std::vector<std::string>> parsed = flags.Parse(args);
  if (!parsed.ok()) {
    return ReportError(absl::InvalidArgumentError(
        absl::StrCat(command->name, ": ", parsed.status().message(), hint)));
  }
  if (flags.help_requested()) {
    PrintUsage(flags);
    return kExitOk;
  }
  if (parsed->size() < min_positional) {
    return ReportError(absl::InvalidArgumentError(
        absl::StrCat(command->name, ": missing argument ", command->arguments, hint)));
  }
  if (parsed->size() > max_positional) {
    return ReportError(absl::InvalidArgumentError(absl::StrCat(
        command->name, ": unexpected argument \"", (*parsed)[max_positional], "\"", hint)));
  }
  if (global.db_directory.empty()) {
    return ReportError(absl::InvalidArgumentError(
        absl::StrCat(command->name, ": flag --db must not be empty", hint)));
  }
  if (absl::Status backend = CheckBackendFlags(command->name, global); !backend.ok()) {
    return ReportError(backend);
  }
  *positional = std::move(*parsed);
  return std::nullopt;
}

void CommandContext::PrintUsage(const FlagSet& flags) const {
  std::string text = absl::StrCat("usage: loyalty ", command->name);
  if (*command->arguments != '\0') absl::StrAppend(&text, " ", command->arguments);
  absl::StrAppend(&text, " [flags]\n\n", command->summary, "\n");
  if (*command->details != '\0') absl::StrAppend(&text, "\n", command->details);
  absl::StrAppend(&text, "\nflags:\n", flags.Usage());
  Print(text);
}

}  // namespace loyalty::cli
