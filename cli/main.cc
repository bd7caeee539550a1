// loyalty: the command-line tool of the loyalty ledger. docs/cli.md is its
// manual; cli/command.h says how to add a command.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cli/command.h"
#include "cli/commands.h"
#include "cli/flags.h"

namespace loyalty::cli {
namespace {

int RunHelp(CommandContext& context);

// Every command, in the order `loyalty help` lists them.
constexpr Command kCommands[] = {
    {"init", "", "create an empty ledger in --db",
     "Creates the ledger (its log, its member key store and its projections)\n"
     "in --db, which must not exist or be empty: all at once, so that a crash\n"
     "leaves either no ledger or a whole one. On a directory that already\n"
     "holds a ledger it changes nothing (it finishes a creation that was\n"
     "interrupted) and says how many events it holds. Refuses a directory that\n"
     "holds other files, and one whose ledger is damaged.\n",
     RunInit},
    {"append", "[FILE|-]", "append events read as JSON Lines, one Envelope per line",
     "Reads FILE, or standard input when FILE is - or absent. Blank lines are\n"
     "skipped. Every line is parsed before anything is appended: a line that\n"
     "does not parse stops the command with \"loyalty: line N: ...\" and exit\n"
     "code 1, and nothing is appended; so do a line longer than 1 MiB and an\n"
     "input longer than 256 MiB (split larger inputs into several runs). The\n"
     "events are then appended in input order, in batches of --batch-size\n"
     "events (a batch never ends between a purchase and its points grant, a\n"
     "refund and its clawback, a resolution and its goodwill grant). Each\n"
     "batch is atomic: all of its events or none.\n"
     "Each event goes through the engine: it is appended only if the engine's\n"
     "own command would have appended exactly it (same stream, idempotency\n"
     "key, time, actor and payload), decided against the ledger and the events\n"
     "before it. A purchase of a member never enrolled, a redemption over the\n"
     "balance, points other than the earning rule gives, a complaint step out\n"
     "of order, an event dated more than the tolerance (default 24 hours)\n"
     "ahead of the clock, or what the ledger refuses (a negative amount, a\n"
     "field the ledger assigns, a reused idempotency key): the batch is\n"
     "refused with \"loyalty: line N: <reason>\" and exit code 1, and the\n"
     "batches before it stay appended. An input no longer than one batch (by\n"
     "default the ledger's limit, shown below) is appended whole or not at\n"
     "all. Prints the sequence assigned to each event, one per line, followed\n"
     "by \" (duplicate)\" when its batch repeated one appended before (same\n"
     "idempotency keys, same content). Creates the ledger if there is none.\n"
     "Personal data given in the clear is sealed with the member's key before\n"
     "it is appended (the log never holds it in the clear), which needs the\n"
     "master key: DIR.key beside --db DIR, or --master-key FILE; without one\n"
     "such an event is refused.\n",
     RunAppend},
    {"import", "purchases FILE.csv", "import a purchase history (purchases and refunds) from CSV",
     "Reads a CSV file with a header line naming its columns: purchase_id,\n"
     "member_id, store_id, amount (CNY, at most two decimals), occurred_at\n"
     "(RFC 3339 with an offset), and optionally refund_of (the purchase a\n"
     "refund row refunds; the row's purchase_id is the refund's id) and\n"
     "category (docs/import.md). Rows are executed in business-time order\n"
     "(by occurred_at; a refund after the purchase it names) through the\n"
     "engine, each as RecordPurchase or RecordRefund. A row that does not\n"
     "parse or that the ledger rejects is reported as \"loyalty: line N: ...\"\n"
     "and skipped; a row whose id is recorded already (or on an earlier line)\n"
     "with the same content is a duplicate and is skipped, so importing a file\n"
     "again changes nothing; with other content it is a conflict, reported.\n"
     "Prints \"imported N, rejected R, duplicates skipped D, conflicts C (T\n"
     "rows)\"; progress (on a terminal) and the rate go to standard error.\n"
     "Exit code 0 when no row is rejected or conflicts, 1 otherwise.\n"
     "--all-or-nothing checks every row first (against the ledger and the rows\n"
     "before it) and imports nothing unless all are valid. Needs an existing\n"
     "ledger, whose members are enrolled.\n",
     RunImport},
    {"export", "", "write the events of a sequence range as JSON Lines or binary",
     "jsonl: one Envelope per line in protobuf's JSON mapping with the .proto\n"
     "field names. binary: for each event, its length as a protobuf varint and\n"
     "then its canonical bytes exactly as stored, so that the chain\n"
     "hash(n) = SHA-256(hash(n-1) || bytes(n)) can be recomputed from the file.\n"
     "With --out the file appears under its name only once complete (it is\n"
     "written as FILE.partial, synced and renamed).\n"
     "--reveal-personal --master-key FILE writes the personal data in the\n"
     "clear (jsonl only); its --out file is created with mode 0600, and never\n"
     "over an existing file unless --overwrite is given.\n",
     RunExport},
    {"head", "", "print the newest event's sequence, chain hash and time",
     "Prints \"sequence N\", \"hash HEX\" and \"recorded_at TIME\" lines (RFC 3339,\n"
     "UTC; \"none\" for an empty ledger), or one JSON object with --json.\n",
     RunHead},
    {"verify", "", "recompute the hash chain and check every event of a range",
     "Prints \"ok: verified sequences A..B, head HEX\" and exits 0, or prints the\n"
     "first damaged sequence and why on standard error and exits 2. Then\n"
     "prints \"anomalies: N (see `loyalty anomalies`)\", the events of the log\n"
     "that the projections applied only as far as a rule allowed; they do not\n"
     "change the exit code.\n",
     RunVerify},
    {"stream", "STREAM_ID", "print the events of one stream",
     "One line per event: sequence, stream version, event type and occurred-at\n"
     "time (RFC 3339, UTC), separated by spaces; with --json, each event as\n"
     "export writes it. A stream with no events prints nothing.\n",
     RunStream},
    {"member", "show ID", "print one member: points, lots, tier and its history",
     "Replays the member's stream (and the policy stream) up to the state\n"
     "--as-of, --known-at or --at-seq selects: available points, debt,\n"
     "lifetime totals, the lots with their expiry, the tier with its\n"
     "protection and qualifying spend, the tier history, and the sequence,\n"
     "time and axis it is as of. Money is in CNY with two decimals, times in\n"
     "RFC 3339 at UTC+8. --json prints one object, money in integer fen. An\n"
     "unknown member is exit code 3.\n"
     "\n"
     "--as-of TIME (business time) reads the events that occurred at or before\n"
     "TIME, whenever they were recorded (an imported history included), and\n"
     "evaluates expiry and tiers at TIME; TIME is RFC 3339 with an offset or a\n"
     "date, meaning the end of that day at UTC+8. --known-at TIME (recorded\n"
     "time) reads what the ledger had recorded by TIME, evaluated at TIME.\n"
     "--at-seq N reads the events with sequence <= N, evaluated at the business\n"
     "time of event N. Without any: everything, evaluated now. Every report\n"
     "ends with the axis it was read on; an empty answer by a time says so on\n"
     "standard error and names the other axis.\n"
     "\n"
     "member show ID --personal --master-key FILE also prints the member's\n"
     "personal data, decrypted with that key (without them: ids and figures\n"
     "only). member erase ID --reason TEXT [--actor ID] destroys the member's\n"
     "key and records the erasure: the personal data can never be read again,\n"
     "points and amounts stay, new commands for the member are refused.\n",
     RunMember},
    {"tiers", "", "count the members in each tier",
     "As of now, --as-of TIME, --known-at TIME or --at-seq N (see `loyalty help\n"
     "member`).\n",
     RunTiers},
    {"liability", "", "print the points outstanding, the points owed and the members",
     "Outstanding points are those in unexpired lots, summed over members;\n"
     "debt is what members owe after clawbacks, not netted against them.\n"
     "As of now, --as-of TIME, --known-at TIME or --at-seq N (see `loyalty help\n"
     "member`).\n",
     RunLiability},
    {"partners", "", "print each partner's sales, refunds, points, complaints and SLA",
     "One row per partner, by partner id: gross, refunded and net sales in CNY,\n"
     "purchases, refunds, refund rate (refunded / gross), points issued,\n"
     "complaints, their SLA clocks met and breached and the compliance rate,\n"
     "and the average satisfaction score (1 to 5).\n"
     "As of now, --as-of TIME, --known-at TIME or --at-seq N (see `loyalty help\n"
     "member`).\n",
     RunPartners},
    {"digests", "", "print the digest of each projection",
     "One line per projection: its name and the SHA-256 of its canonical\n"
     "state. Equal logs replayed by equal code give equal digests; the lines\n"
     "have the form `rebuild` prints, so the two compare with diff.\n"
     "As of now, --as-of TIME, --known-at TIME or --at-seq N (see `loyalty help\n"
     "member`).\n",
     RunDigests},
    {"rebuild", "", "replay the whole log and check the saved projections against it",
     "Replays every event into fresh projections, checks that their digests\n"
     "equal those of the live projections, saves them as the checkpoint and\n"
     "prints the digests as `digests` does, and \"anomalies: N (see `loyalty\n"
     "anomalies`)\" when the log holds events that break a rule. A mismatch\n"
     "means the saved projections do not match the log: exit code 2.\n",
     RunRebuild},
    {"anomalies", "", "list the events the projections applied only as far as a rule allowed",
     "The log may hold events that break a rule of the domain (a redemption\n"
     "past the balance, a purchase of a member never enrolled, a complaint\n"
     "step out of order), appended raw or by an older build. The projections\n"
     "never stop on one: each is applied as far as its rule allows and recorded\n"
     "(docs/reliability.md, \"Events that break a rule\"). Prints how many the\n"
     "projections hold at the head, then one line per event: sequence, stream,\n"
     "projection, rule and message. Exit code 0, whatever the count.\n",
     RunAnomalies},
    {"birthdays", "--date YYYY-MM-DD", "grant the birthday bonuses due by a day",
     "Runs the birthday job dated 09:00 at UTC+8 on that day. A member's bonus\n"
     "of a year falls due on the last day of their birth month, so the log\n"
     "tells the month at most, never the day. Grants every bonus due by the\n"
     "day and not granted yet, of its year and of the year before. Prints how\n"
     "many were granted and their sequences. Needs an existing ledger.\n"
     "Running it again grants nothing more.\n"
     "The birth dates are read with the master key: DIR.key beside --db DIR,\n"
     "or --master-key FILE.\n",
     RunBirthdays},
    {"retention", "run --as-of YYYY-MM-DD", "erase the personal data of long-inactive members",
     "Erases the personal data of every member with no purchase, redemption,\n"
     "complaint or survey for the retention policy's days (default 1095)\n"
     "before that day, dated at the start of the day (UTC+8), with the reason\n"
     "\"retention: inactive since YYYY-MM-DD\". Prints the members erased; a\n"
     "second run erases nothing new. Points and amounts stay (docs/privacy.md).\n",
     RunRetention},
    {"contactable", "--channel C --purpose P",
     "list the members that may be contacted on a channel for a purpose",
     "From the consents the log records (the enrolment's, then each consent\n"
     "change), as of now, --as-of TIME or --at-seq N: the members that may be\n"
     "contacted by SMS or e-mail for birthday care (the channel's consent) or\n"
     "offers (the marketing consent and the channel's), one id a line. Erased\n"
     "members and withdrawn consents never appear. Reads no personal data and\n"
     "no master key (docs/privacy.md). No consent to phone calls is recorded,\n"
     "so phone is not a channel.\n",
     RunContactable},
    {"calendar", "load FILE | due", "load a working-day calendar file, or count a deadline",
     "calendar load FILE: parses a calendar file (docs/calendar.md; the\n"
     "official schedules are data/calendar/cn-YYYY.txt) and records its days.\n"
     "A line that does not parse is named (\"FILE: calendar file line 7: ...\")\n"
     "and nothing is recorded. Loading a file whose days are all declared so\n"
     "already says so and records nothing.\n"
     "calendar due --from TIME --working-days N: prints the deadline N working\n"
     "days after TIME (the end of the N-th working day after TIME's local day),\n"
     "by the calendar recorded in the log; a year with no schedule loaded is\n"
     "an error that names it (exit code 3).\n",
     RunCalendar},
    {"complaint", "show ID", "print one complaint: its cycles and SLA clocks",
     "Replays the complaint's stream (and the calendar and policy streams) up\n"
     "to the state --as-of, --known-at or --at-seq selects: state, partner,\n"
     "category, each cycle's resolution and the customer's answer, and each SLA clock with\n"
     "its deadline, when it was done and its status (pending, met, breached,\n"
     "due unknown) as of that time. An unknown complaint is exit code 3.\n",
     RunComplaint},
    {"sla", "report", "print SLA compliance by month, partner and category",
     "The reply and notification clocks of the complaint cycles started in\n"
     "--from..--to (local days; default: every cycle): counts and compliance\n"
     "(met / (met + breached)) by the month of the deadline, by partner and by\n"
     "category, and the open clocks nearest their deadline, evaluated as of\n"
     "now, TIME for --as-of TIME (business time) or --known-at TIME (recorded\n"
     "time), or the business time of event N for --at-seq N.\n",
     RunSla},
    {"demo", "", "generate a seeded year of a mall's program and report on it",
     "Loads the official holiday schedules (data/calendar), enrols members,\n"
     "records purchases at many partner stores (heavy and occasional spenders,\n"
     "weekends, holidays and shopping festivals), partial and full refunds,\n"
     "redemptions, birthday bonuses, operators' adjustments, policy changes,\n"
     "complaints through their handling (some late across holidays, some\n"
     "reopened) and satisfaction surveys, through the engine, into --db\n"
     "(default ./loyalty-data). Then prints members per tier, points\n"
     "outstanding and when they expire, the partners with the highest refund\n"
     "rates and with the lowest SLA compliance, the SLA compliance by month,\n"
     "the chain head and the projection digests. The ledger's clock follows\n"
     "business time, so equal flags give an equal log and an equal chain head.\n"
     "A directory that already holds a ledger with events is reused (only the\n"
     "report is printed, the ledger opened read-only) unless --replace is\n"
     "given; --replace deletes only a ledger's own files and refuses a\n"
     "directory that holds anything else, naming it.\n",
     RunDemo},
    {"replay", "", "replay every projection into a fresh state and print its digests",
     "Replays the log into fresh projections (never the saved ones) and prints\n"
     "the state it selects, its summary figures and each projection's digest.\n"
     "--at-seq N: the events with sequence <= N (default: the head), evaluated\n"
     "at the business time of event N: the digests a checkpoint at N signs.\n"
     "--as-of TIME: the events that occurred (business time, occurred-at) by\n"
     "TIME, whenever recorded, in log order, evaluated at TIME. --known-at\n"
     "TIME: the events recorded (ledger time) by TIME, evaluated at TIME. The\n"
     "same log gives the same digests on any machine.\n"
     "--bundle DIR replays the events of an audit bundle (from sequence 1)\n"
     "instead of a ledger, with the same output.\n",
     RunReplay},
    {"checkpoint", "SUBCOMMAND", "keygen, sign, verify or list signed checkpoints of the log",
     "keygen --out FILE: writes a new Ed25519 private key to FILE (mode 0600)\n"
     "and its public key to FILE.pub, both PEM.\n"
     "sign --key FILE [--at-seq N] [--signed-at TIME]: records the sequence,\n"
     "the chain head, the Merkle root and the projections' digests, all\n"
     "recomputed from the log, signed with the key (DIR/audit).\n"
     "verify --pubkey FILE [--skip-digests]: checks every checkpoint's\n"
     "signature with that key and recomputes its figures from the log; exit\n"
     "code 2 naming each checkpoint that fails.\n"
     "list: the stored checkpoints.\n",
     RunCheckpoint},
    {"prove", "SEQ", "print a Merkle proof against signed checkpoints (or --consistency)",
     "prove SEQ: that event SEQ is in a checkpoint's Merkle tree (by default\n"
     "the latest checkpoint at or after SEQ; --checkpoint K to choose).\n"
     "prove --consistency OLD NEW: that checkpoint NEW's tree extends\n"
     "checkpoint OLD's. The proof carries the event and the signed\n"
     "checkpoints, so `loyalty check-proof` or tools/verify_bundle.py checks\n"
     "it offline, without the ledger.\n",
     RunProve},
    {"check-proof", "[FILE|-]", "check a proof offline against a trusted public key",
     "Checks a proof `loyalty prove` wrote: the checkpoints are signed by the\n"
     "key --pubkey names, and the proof leads from the event (or the old\n"
     "tree) to their Merkle roots. Needs no ledger. Exit code 2 when the\n"
     "proof does not hold.\n",
     RunCheckProof},
    {"audit-bundle", "--out DIR", "write the events, schemas and checkpoints for an auditor",
     "Writes a new directory --out DIR with the events --from..--to as\n"
     "length-delimited canonical bytes, the .proto files and their descriptor\n"
     "set, the descriptor sets the log records, every signed checkpoint with\n"
     "its signer's public key, the format's specification, a Python verifier\n"
     "and a README that says how to check them.\n",
     RunAuditBundle},
    {"schema", "record|list", "record this build's schema in the log, or list those recorded",
     "record: appends a schema_registered event holding the descriptor set of\n"
     "the schemas this build was compiled from and its SHA-256, unless the\n"
     "latest recorded one is the same. list: the recorded descriptor sets.\n",
     RunSchema},
    {"backup", "--to DIR | list|verify|purge --from DIR",
     "back up the ledger (log, member keys, projections, audit store) into DIR",
     "--to DIR: a consistent backup of the ledger in --db, incremental: the\n"
     "stores are caught at one moment and only files new since the earlier\n"
     "backups in DIR are copied. DIR must be new, empty or a backup directory.\n"
     "The master key is never backed up: keep it elsewhere (docs/privacy.md).\n"
     "A service takes backups with Engine::Backup while it serves writes.\n"
     "list --from DIR [--json]: the backups, oldest first: head, stores, size.\n"
     "verify --from DIR [--backup-id N]: checks every file of each backup (or\n"
     "of backup N) against its recorded checksum; exit code 2 naming the\n"
     "damaged store and file.\n"
     "purge --from DIR --keep N: deletes all but the newest N backups, and the\n"
     "files only they use (how long an erased member's key survives in\n"
     "backups: docs/privacy.md).\n",
     RunBackup},
    {"restore", "--from DIR --db NEWDIR", "restore a backup into a new ledger directory and verify it",
     "Restores backup --backup-id N (default: the latest) from DIR into --db\n"
     "NEWDIR, which must not exist or be empty. The stores are restored beside\n"
     "it, the log's whole chain is verified and its head compared with the\n"
     "backup's, and only then is NEWDIR put in place; a damaged backup file\n"
     "is exit code 2 with nothing left behind. Open the restored ledger with\n"
     "the master key the backup was taken under (NEWDIR.key or --master-key).\n",
     RunRestore},
    {"copy", "--to DEST", "copy the ledger to a directory or to PostgreSQL, with the same chain head",
     "Copies the ledger in --db (a directory or a postgresql:// URI, read\n"
     "only) to DEST, either kind: the same events with the same bytes and\n"
     "chain hashes, each at its recorded time, and the member keys as they\n"
     "are wrapped. DEST is new or empty, or an earlier copy, which is brought\n"
     "up to date: run it again after an interruption. The copy's chain is\n"
     "verified and its head compared with the source's. The projections are\n"
     "rebuilt on the copy's first open; open it with the source's master key.\n",
     RunCopy},
    {"metrics", "", "print the engine's and the ledger's metrics in the Prometheus text format",
     "Opens the engine (which catches its projections up with the log) and\n"
     "prints the metrics of that open: the events replayed past the\n"
     "checkpoint and how long it took, the head, the projections' lag and the\n"
     "storage (directory, table files, memtables). Counters of appends and\n"
     "commands are those of this process, so zero here: a service reports\n"
     "its own with Engine::Metrics() (docs/embedding.md, \"Metrics\").\n",
     RunMetrics},
    {"help", "[COMMAND]", "print this text, or the usage and flags of COMMAND", "", RunHelp},
};

const Command* FindCommand(absl::string_view name) {
  for (const Command& command : kCommands) {
    if (name == command.name) return &command;
  }
  return nullptr;
}

std::string GeneralUsage() {
  std::string text =
      "usage: loyalty [--db DIR] COMMAND [ARGUMENTS] [FLAGS]\n"
      "\n"
      "The loyalty ledger: an append-only, hash-chained log of loyalty events.\n"
      "\n"
      "commands:\n";
  size_t width = 0;
  for (const Command& command : kCommands) {
    width = std::max(width, std::strlen(command.name) + 1 + std::strlen(command.arguments));
  }
  for (const Command& command : kCommands) {
    std::string left = command.name;
    if (*command.arguments != '\0') absl::StrAppend(&left, " ", command.arguments);
    absl::StrAppend(&text, "  ", left, std::string(width - left.size() + 2, ' '), command.summary,
                    "\n");
  }
  GlobalOptions defaults;
  FlagSet global_flags;
  AddGlobalFlags(global_flags, &defaults);
  absl::StrAppend(&text, "\nglobal flags (before or after COMMAND):\n", global_flags.Usage(),
                  "\n"
                  "`loyalty help COMMAND` or `loyalty COMMAND --help` shows a command's flags.\n"
                  "\n"
                  "exit codes: 0 ok; 1 usage error or bad input; 2 verification failed or\n"
                  "data loss; 3 any other error (storage, I/O, ledger in use).\n");
  return text;
}

absl::Status UnknownCommand(absl::string_view name) {
  return absl::InvalidArgumentError(
      absl::StrCat("unknown command \"", name, "\" (see `loyalty help`)"));
}

int RunHelp(CommandContext& context) {
  FlagSet flags = context.NewFlagSet();
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 0, 1, &positional)) return *done;
  if (positional.empty()) {
    Print(GeneralUsage());
    return kExitOk;
  }
  const Command* command = FindCommand(positional[0]);
  if (command == nullptr) return ReportError(UnknownCommand(positional[0]));
  CommandContext help;
  help.command = command;
  help.args = {"--help"};
  return command->run(help);
}

int Main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  CommandContext context;
  FlagSet global_flags;
  AddGlobalFlags(global_flags, &context.global);
  absl::StatusOr<std::vector<std::string>> rest =
      global_flags.Parse(args, /*stop_at_positional=*/true);
  if (!rest.ok()) {
    return ReportError(
        absl::InvalidArgumentError(absl::StrCat(rest.status().message(), " (see `loyalty help`)")));
  }
  if (global_flags.help_requested()) {
    Print(GeneralUsage());
    return kExitOk;
  }
  if (rest->empty()) {
    // Without a command there is nothing to do: a usage error, so that a
    // script passing an empty command notices.
    const std::string usage = GeneralUsage();
    std::fwrite(usage.data(), 1, usage.size(), stderr);
    return kExitUsage;
  }
  context.command = FindCommand((*rest)[0]);
  if (context.command == nullptr) return ReportError(UnknownCommand((*rest)[0]));
  context.args.assign(rest->begin() + 1, rest->end());
  const int exit_code = context.command->run(context);
  // A command that failed has said why; one that succeeded must not hide
  // that its output was lost.
  if ((std::fflush(stdout) != 0 || std::ferror(stdout) != 0) && exit_code == kExitOk) {
    return ReportError(
        absl::UnavailableError(absl::StrCat("writing to standard output: ", std::strerror(errno))));
  }
  return exit_code;
}

}  // namespace
}  // namespace loyalty::cli

int main(int argc, char** argv) { return loyalty::cli::Main(argc, argv); }
