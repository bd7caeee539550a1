// The subcommands of the loyalty tool; cli/main.cc lists them in its table.
// Each returns an ExitCode (cli/command.h).
#ifndef LOYALTY_CLI_COMMANDS_H_
#define LOYALTY_CLI_COMMANDS_H_

#include "cli/command.h"

namespace loyalty::cli {

// cli/append_command.cc: writing events.
int RunAppend(CommandContext& context);
// cli/init_command.cc: an empty ledger.
int RunInit(CommandContext& context);

// cli/import_command.cc: a purchase history from CSV (docs/import.md).
int RunImport(CommandContext& context);

// cli/read_commands.cc: reading and checking the log.
int RunExport(CommandContext& context);
int RunHead(CommandContext& context);
int RunVerify(CommandContext& context);
int RunStream(CommandContext& context);

// cli/engine_commands.cc: reports from the engine's projections, and the
// engine's commands.
int RunMember(CommandContext& context);
int RunTiers(CommandContext& context);
int RunLiability(CommandContext& context);
int RunPartners(CommandContext& context);
int RunDigests(CommandContext& context);
int RunRebuild(CommandContext& context);
int RunBirthdays(CommandContext& context);

// cli/anomalies_command.cc: the events the projections applied only as far
// as a rule allowed.
int RunAnomalies(CommandContext& context);

// cli/privacy_commands.cc: the retention job (member erase is a subcommand
// of member).
int RunRetention(CommandContext& context);

// cli/contact_command.cc: the members that may be contacted on a channel for
// a purpose.
int RunContactable(CommandContext& context);

// cli/complaint_commands.cc: the working-day calendar, complaints and the
// SLA report.
int RunCalendar(CommandContext& context);
int RunComplaint(CommandContext& context);
int RunSla(CommandContext& context);

// cli/audit_commands.cc: what an auditor runs: replays, signed checkpoints,
// Merkle proofs, audit bundles and the schema history.
int RunReplay(CommandContext& context);
int RunCheckpoint(CommandContext& context);
int RunProve(CommandContext& context);
int RunCheckProof(CommandContext& context);
int RunAuditBundle(CommandContext& context);
int RunSchema(CommandContext& context);

// cli/backup_commands.cc: backups of the ledger and their restore, and
// copies of it from one place (or backend) to another.
int RunBackup(CommandContext& context);
int RunRestore(CommandContext& context);
int RunCopy(CommandContext& context);

// cli/demo_command.cc: a generated year of the program and its report.
int RunDemo(CommandContext& context);

// cli/metrics_command.cc: the metrics in the Prometheus text format.
int RunMetrics(CommandContext& context);

}  // namespace loyalty::cli

#endif  // LOYALTY_CLI_COMMANDS_H_
