// What every subcommand of the loyalty tool is made of.
//
// A subcommand is a function `int RunName(CommandContext& context)` that
// registers its flags on `context.NewFlagSet()`, calls `context.ParseArgs`,
// does its work through the public API in include/loyalty/, and returns an
// ExitCode. To add one: write the function in a file of its group (or a new
// file listed in cli/CMakeLists.txt), declare it in cli/commands.h and add a
// row to the table in cli/main.cc.
#ifndef LOYALTY_CLI_COMMAND_H_
#define LOYALTY_CLI_COMMAND_H_

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cli/flags.h"

namespace loyalty::cli {

// The tool's exit codes; docs/cli.md lists them for users.
enum ExitCode : int {
  kExitOk = 0,
  // A usage error (unknown command or flag, bad flag value) or bad input
  // (an event that does not parse or that the ledger rejects).
  kExitUsage = 1,
  // Verification failed or stored data is damaged.
  kExitDataLoss = 2,
  // Anything else: storage errors, a ledger in use by another process, I/O.
  kExitError = 3,
};

// The exit code for a failed status: InvalidArgument and AlreadyExists are
// the caller's input (1), DataLoss is damage (2), everything else is 3.
int ExitCodeFor(const absl::Status& status);

// Prints "loyalty: <message>" on standard error; returns ExitCodeFor(status).
int ReportError(const absl::Status& status);

// Prints "loyalty: <command>: <message>" on standard error: what a reader
// of a successful command's output must know (an empty answer, and why).
void ReportNotice(absl::string_view command, absl::string_view message);

// Writes `text` to standard output. Errors surface when main flushes it.
void Print(absl::string_view text);

// Flags every command accepts, before or after the command name.
struct GlobalOptions {
  // A ledger directory, or a postgresql:// URI (ledger_io.h).
  std::string db_directory = "./loyalty-data";
  // With a postgresql:// --db: where the projections' checkpoint is kept;
  // empty, every command replays the log.
  std::string checkpoint_directory;
  // Use a master key file that its group or others may access, with a
  // warning, instead of refusing it (MasterKeyFileOptions).
  bool allow_open_master_key = false;
};

// For `command`: InvalidArgument when --checkpoint-dir comes without a
// postgresql:// --db, or when the command works only on a ledger directory
// (demo, backup, restore and the audit store's commands) and --db is one.
absl::Status CheckBackendFlags(absl::string_view command, const GlobalOptions& global);

// Registers the global flags on `flags`, bound to `options`.
void AddGlobalFlags(FlagSet& flags, GlobalOptions* options);

// The flags each subcommand of a command takes, by subcommand ("" for the
// command given without one); a flag may belong to several.
using SubcommandFlags = std::vector<std::pair<std::string, std::vector<std::string>>>;

// For a command whose subcommands share one FlagSet: InvalidArgument
// "COMMAND SUBCOMMAND: flag --F belongs to `COMMAND OTHER`" (every
// subcommand that takes it, comma-separated) for the first flag set on the
// command line that `subcommand`, one of `allowed`, does not take.
absl::Status CheckSubcommandFlags(absl::string_view command, absl::string_view subcommand,
                                  const FlagSet& flags, const SubcommandFlags& allowed);

struct CommandContext;

struct Command {
  // The word on the command line: "append".
  const char* name;
  // Positional arguments, as shown in usage: "[FILE|-]"; "" for none.
  const char* arguments;
  // One line for the command list.
  const char* summary;
  // Further paragraphs for `loyalty help NAME`; "" for none.
  const char* details;
  int (*run)(CommandContext& context);
};

struct CommandContext {
  const Command* command = nullptr;
  // The arguments after the command name.
  std::vector<std::string> args;
  // Global flags: the values given before the command name, overridden by
  // those given after it.
  GlobalOptions global;

  // A flag set with the global flags already registered (bound to `global`).
  FlagSet NewFlagSet();

  // Parses `args` with `flags` and checks that between `min_positional` and
  // `max_positional` positional arguments remain (stored in `*positional`).
  // Returns nullopt when the command should go on; otherwise the exit code
  // to return at once, after printing the command's usage (for --help, 0) or
  // a one-line error (1).
  std::optional<int> ParseArgs(FlagSet& flags, size_t min_positional, size_t max_positional,
                               std::vector<std::string>* positional);

  // Prints the command's usage, details and flags on standard output.
  void PrintUsage(const FlagSet& flags) const;
};

}  // namespace loyalty::cli

#endif  // LOYALTY_CLI_COMMAND_H_
