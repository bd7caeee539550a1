// `loyalty init`: an empty ledger in --db, made all at once.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/commands.h"
#include "cli/ledger_io.h"
#include "loyalty/engine.h"
#include "util/conninfo.h"

namespace loyalty::cli {

int RunInit(CommandContext& context) {
  FlagSet flags = context.NewFlagSet();
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 0, 0, &positional)) return *done;
  const std::string directory = util::ShownLocation(context.global.db_directory);
  absl::StatusOr<std::unique_ptr<Engine>> engine = OpenOrCreateEngine(context.global);
  if (!engine.ok()) return ReportError(engine.status());
  const ChainHead head = (*engine)->ledger().Head();
  if (head.sequence == 0) {
    Print(absl::StrCat("ledger ready in ", directory, " (no events yet)\n"));
  } else {
    Print(absl::StrCat("ledger ready in ", directory, " (", head.sequence,
                       " events, head ", HashHex(head.hash), ")\n"));
  }
  return kExitOk;
}

}  // namespace loyalty::cli
