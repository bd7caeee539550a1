// Helpers of cli/privacy_commands.cc that `member` (cli/engine_commands.cc)
// uses: erasure and the revealing of personal data.
#ifndef LOYALTY_CLI_PRIVACY_COMMANDS_H_
#define LOYALTY_CLI_PRIVACY_COMMANDS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cli/command.h"
#include "loyalty/engine.h"

namespace loyalty::cli {

// `loyalty member erase ID --reason TEXT [--actor ID]`.
int RunMemberErase(CommandContext& context);

// Opens the engine on --db, read-only, with the master key read from
// `key_file` (not the default one beside the directory): for commands asked
// to reveal personal data. NotFound/InvalidArgument for a missing or
// malformed file, PermissionDenied for a file its group or others may
// access (MasterKeyFromKeyFile) and for a key that is not the ledger's.
absl::StatusOr<std::unique_ptr<Engine>> OpenEngineWithMasterKey(const GlobalOptions& global,
                                                                const std::string& key_file);

// The personal data as `member show --personal` prints it: text lines, or
// one JSON object {"personal": {...}}.
std::string PersonalDataText(const v1::PersonalData& personal);
std::string PersonalDataJson(const v1::PersonalData& personal);

}  // namespace loyalty::cli

#endif  // LOYALTY_CLI_PRIVACY_COMMANDS_H_
