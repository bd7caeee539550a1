// loyalty member, tiers, liability, partners, digests, rebuild and
// birthdays: the commands that go through the Engine (its projections and
// its commands) rather than the bare log.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "cli/as_of.h"
#include "cli/command.h"
#include "cli/commands.h"
#include "cli/ledger_io.h"
#include "cli/privacy_commands.h"
#include "cli/report_format.h"
#include "cli/reports.h"
#include "loyalty/commands.h"
#include "loyalty/engine.h"
#include "loyalty/limits.h"
#include "loyalty/views.h"

namespace loyalty::cli {
namespace {

// The local wall-clock time a birthday run is dated at: 09:00, after the
// night's batch jobs and before the mall opens.
constexpr int kBirthdayRunLocalHour = 9;
constexpr char kDefaultBirthdayActor[] = "birthday-job";

// The flags of a report: which state to read, and text or JSON.
struct ReportFlags {
  AsOfFlags as_of;
  bool json = false;
};

void AddReportFlags(FlagSet& flags, ReportFlags* values) {
  AddAsOfFlags(flags, &values->as_of);
  flags.Bool("json", "print one JSON object instead of text", &values->json);
}

// A report on the whole program, rendered by `text` or `json`.
int RunProgramReport(CommandContext& context, std::string (*text)(const ProgramView&),
                     std::string (*json)(const ProgramView&)) {
  ReportFlags values;
  FlagSet flags = context.NewFlagSet();
  AddReportFlags(flags, &values);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 0, 0, &positional)) return *done;
  absl::StatusOr<AsOf> as_of = AsOfFromFlags(context.command->name, flags, values.as_of);
  if (!as_of.ok()) return ReportError(as_of.status());
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      OpenEngineForReading(context.global);
  if (!engine.ok()) return ReportError(engine.status());
  absl::StatusOr<ProgramView> program = (*engine)->Program(*as_of);
  if (!program.ok()) return ReportError(program.status());
  Print(values.json ? json(*program) : text(*program));
  // Zeros in every row read as an answer: say that the state holds no
  // member, and where one may be found.
  if (IsTimeAxis(*as_of) && program->liability.members == 0) {
    ReportNotice(context.command->name,
                 NothingByThenHint(*as_of, values.as_of,
                                   program->as_of_sequence == 0 ? "nothing" : "no member"));
  }
  return kExitOk;
}

}  // namespace

int RunMember(CommandContext& context) {
  if (!context.args.empty() && context.args[0] == "erase") return RunMemberErase(context);
  ReportFlags values;
  bool personal = false;
  std::string master_key_file;
  FlagSet flags = context.NewFlagSet();
  AddReportFlags(flags, &values);
  flags.Bool("personal", "also print the member's personal data (needs --master-key)", &personal);
  flags.String("master-key", "FILE", "the master key file that reveals personal data",
               &master_key_file);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 2, 2, &positional)) return *done;
  if (positional[0] != "show") {
    return ReportError(absl::InvalidArgumentError(
        absl::StrCat("member: unknown subcommand \"", positional[0],
                     "\": the subcommands are `member show ID` and `member erase ID` (see "
                     "`loyalty help member`)")));
  }
  if (personal && master_key_file.empty()) {
    return ReportError(absl::InvalidArgumentError(
        "member show: flag --personal needs --master-key FILE: personal data is revealed only "
        "with the master key given explicitly"));
  }
  const std::string& member_id = positional[1];
  if (member_id.empty()) {
    return ReportError(absl::InvalidArgumentError("member show: ID must not be empty"));
  }
  absl::StatusOr<AsOf> as_of = AsOfFromFlags("member show", flags, values.as_of);
  if (!as_of.ok()) return ReportError(as_of.status());

  absl::StatusOr<std::unique_ptr<Engine>> engine =
      personal ? OpenEngineWithMasterKey(context.global, master_key_file)
               : OpenEngineForReading(context.global);
  if (!engine.ok()) return ReportError(engine.status());
  absl::StatusOr<MemberView> member = (*engine)->Member(member_id, *as_of);
  if (!member.ok()) {
    if (absl::IsNotFound(member.status()) && as_of->kind() != AsOf::Kind::kNow) {
      return ReportError(absl::NotFoundError(
          absl::StrCat(member.status().message(), " at ", AsOfFlagText(*as_of, values.as_of))));
    }
    return ReportError(member.status());
  }
  Print(values.json ? MemberJson(*member) : MemberText(*member));
  if (personal) {
    // Personal data is the current one, whatever --as-of says: an erased
    // member's is gone at every point of history.
    absl::StatusOr<v1::PersonalData> data = (*engine)->PersonalDataOf(member_id);
    if (!data.ok()) return ReportError(data.status());
    Print(values.json ? PersonalDataJson(*data) : PersonalDataText(*data));
  }
  return kExitOk;
}

int RunTiers(CommandContext& context) { return RunProgramReport(context, TiersText, TiersJson); }

int RunLiability(CommandContext& context) {
  return RunProgramReport(context, LiabilityText, LiabilityJson);
}

int RunPartners(CommandContext& context) {
  return RunProgramReport(context, PartnersText, PartnersJson);
}

int RunDigests(CommandContext& context) {
  return RunProgramReport(
      context, [](const ProgramView& program) { return DigestsText(program.digests); },
      DigestsJson);
}

int RunRebuild(CommandContext& context) {
  bool json = false;
  FlagSet flags = context.NewFlagSet();
  flags.Bool("json", "print one JSON object instead of text", &json);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 0, 0, &positional)) return *done;

  absl::StatusOr<std::unique_ptr<Engine>> engine = OpenEngine(context.global);
  if (!engine.ok()) return ReportError(engine.status());
  absl::StatusOr<std::vector<ProjectionDigest>> digests = (*engine)->Rebuild();
  if (!digests.ok())
    return ReportError(digests.status());
  // This process holds the ledger's lock: nothing was appended since.
  const uint64_t as_of_sequence = (*engine)->ledger().Head().sequence;
  absl::StatusOr<AnomaliesView> anomalies = (*engine)->Anomalies();
  if (!anomalies.ok()) return ReportError(anomalies.status());
  if (json) {
    Print(RebuildJson(*digests, as_of_sequence, anomalies->count));
  } else {
    // Without anomalies the lines are those of `digests`, so the two compare
    // with diff.
    Print(DigestsText(*digests));
    if (anomalies->count > 0) Print(AnomalyCountLine(anomalies->count));
  }
  return kExitOk;
}

int RunBirthdays(CommandContext& context) {
  std::string date;
  std::string actor_id = kDefaultBirthdayActor;
  bool json = false;
  FlagSet flags = context.NewFlagSet();
  flags.String("date", "YYYY-MM-DD", "the local day (UTC+8) to grant for (required)", &date);
  flags.String("actor", "ID",
               absl::StrCat("who runs the job, recorded on each grant (default: ",
                            kDefaultBirthdayActor, ")"),
               &actor_id);
  flags.Bool("json", "print one JSON object instead of text", &json);
  std::string master_key_file;
  flags.String("master-key", "FILE",
               "the master key file that opens the birth dates (default: DIR.key beside "
               "--db DIR, when it exists)",
               &master_key_file);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 0, 0, &positional)) return *done;
  if (!flags.WasSet("date")) {
    return ReportError(absl::InvalidArgumentError(
        "birthdays: flag --date is required (--date YYYY-MM-DD; see `loyalty help birthdays`)"));
  }
  absl::StatusOr<absl::CivilDay> day = ParseLocalDate(date);
  if (!day.ok()) {
    return ReportError(absl::InvalidArgumentError(
        absl::StrCat("birthdays: flag --date: ", day.status().message())));
  }
  if (actor_id.empty() || actor_id.size() > kMaxActorIdBytes) {
    return ReportError(absl::InvalidArgumentError(absl::StrCat("birthdays: flag --actor: \"",
                                                               actor_id, "\" must be 1 to ",
                                                               kMaxActorIdBytes, " bytes long")));
  }

  GrantBirthdayBonuses job;
  job.occurred_at_us = absl::ToUnixMicros(
      absl::FromCivil(absl::CivilHour(day->year(), day->month(), day->day(), kBirthdayRunLocalHour),
                      MallTimeZone()));
  job.actor_id = actor_id;
  absl::StatusOr<std::unique_ptr<Engine>> engine = OpenEngine(
      context.global, master_key_file.empty()
                          ? DefaultMasterKey(context.global)
                          : MasterKeyFromKeyFile(context.global, master_key_file));
  if (!engine.ok()) return ReportError(engine.status());
  absl::StatusOr<CommandResult> result = (*engine)->Execute(job);
  if (!result.ok()) return ReportError(result.status());
  Print(json ? BirthdaysJson(*day, job.occurred_at_us, *result) : BirthdaysText(*day, *result));
  return kExitOk;
}

}  // namespace loyalty::cli
