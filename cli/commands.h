// The subcommands of the loyalty tool; cli/main.cc lists them in its table.
// Each returns an ExitCode (cli/command.h).
#ifndef LOYALTY_CLI_COMMANDS_H_
#define LOYALTY_CLI_COMMANDS_H_

#include "cli/command.h"

namespace loyalty::cli {

// cli/append_command.cc: writing events.
int RunAppend(CommandContext& context);

// cli/read_commands.cc: reading and checking the log.
int RunExport(CommandContext& context);
int RunHead(CommandContext& context);
int RunVerify(CommandContext& context);
int RunStream(CommandContext& context);

}  // namespace loyalty::cli

#endif  // LOYALTY_CLI_COMMANDS_H_
