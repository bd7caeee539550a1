// loyalty member erase, member show --personal and retention run: the
// tool's side of personal data (docs/privacy.md).
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "cli/as_of.h"
#include "cli/command.h"
#include "cli/commands.h"
#include "cli/ledger_io.h"
#include "cli/privacy_commands.h"
#include "google/protobuf/util/json_util.h"
#include "loyalty/commands.h"
#include "loyalty/engine.h"
#include "loyalty/limits.h"
#include "loyalty/privacy.h"

namespace loyalty::cli {
namespace {

constexpr char kDefaultEraseActor[] = "privacy-officer";
constexpr char kDefaultRetentionActor[] = "retention-job";
// Erasures and retention runs are dated at 09:00 local time (UTC+8) of the
// day given, like the birthday job; without a day, at the engine clock's now.

absl::Status CheckActor(absl::string_view command, const std::string& actor_id) {
  if (!actor_id.empty() && actor_id.size() <= kMaxActorIdBytes) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(command, ": flag --actor: \"", actor_id,
                                                 "\" must be 1 to ", kMaxActorIdBytes, " bytes"));
}

std::string GenderName(v1::Gender gender) {
  switch (gender) {
    case v1::GENDER_FEMALE: return "female";
    case v1::GENDER_MALE: return "male";
    case v1::GENDER_OTHER: return "other";
    default: return "unspecified";
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Engine>> OpenEngineWithMasterKey(const GlobalOptions& global,
                                                                const std::string& key_file) {
  return OpenEngineForReading(global, MasterKeyFromKeyFile(global, key_file));
}

int RunMemberErase(CommandContext& context) {
  std::string reason;
  std::string actor_id = kDefaultEraseActor;
  FlagSet flags = context.NewFlagSet();
  flags.String("reason", "TEXT", "why the member's personal data is erased (required)", &reason);
  flags.String("actor", "ID", "who erases (default: privacy-officer)", &actor_id);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 2, 2, &positional)) return *done;
  const std::string& member_id = positional[1];
  if (member_id.empty()) {
    return ReportError(absl::InvalidArgumentError("member erase: ID must not be empty"));
  }
  if (reason.empty()) {
    return ReportError(absl::InvalidArgumentError(
        "member erase: flag --reason is required (--reason TEXT; see `loyalty help member`)"));
  }
  if (absl::Status actor = CheckActor("member erase", actor_id); !actor.ok()) {
    return ReportError(actor);
  }
  absl::StatusOr<std::unique_ptr<Engine>> engine = OpenEngine(context.global);
  if (!engine.ok()) return ReportError(engine.status());
  EraseMember command;
  command.member_id = member_id;
  command.reason = reason;
  command.occurred_at_us = DefaultClock()->NowMicros();
  command.actor_id = actor_id;
  absl::StatusOr<CommandResult> result = (*engine)->Execute(command);
  if (!result.ok()) return ReportError(result.status());
  Print(absl::StrCat("erased the personal data of member \"", member_id, "\": sequence ",
                     result->sequences.empty() ? 0 : result->sequences.front(), "\n"));
  return kExitOk;
}

std::string PersonalDataText(const v1::PersonalData& personal) {
  std::string birth = "-";
  if (personal.has_birth_date()) {
    birth = absl::FormatCivilTime(absl::CivilDay(personal.birth_date().year(),
                                                 personal.birth_date().month(),
                                                 personal.birth_date().day()));
  }
  return absl::StrCat("Personal data\n", "  name        ", personal.name(), "\n",
                      "  phone       ", personal.phone(), "\n", "  email       ", personal.email(),
                      "\n", "  gender      ", GenderName(personal.gender()), "\n",
                      "  birth date  ", birth, "\n", "  occupation  ", personal.occupation(), "\n");
}

std::string PersonalDataJson(const v1::PersonalData& personal) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(personal, &json, options);
  return absl::StrCat("{\"personal\":", json, "}\n");
}

int RunRetention(CommandContext& context) {
  std::string as_of;
  std::string actor_id = kDefaultRetentionActor;
  bool json = false;
  FlagSet flags = context.NewFlagSet();
  flags.String("as-of", "YYYY-MM-DD", "the local day (UTC+8) to judge inactivity at (required)",
               &as_of);
  flags.String("actor", "ID", "who runs the job (default: retention-job)", &actor_id);
  flags.Bool("json", "print one JSON object instead of text", &json);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 1, 1, &positional)) return *done;
  if (positional[0] != "run") {
    return ReportError(absl::InvalidArgumentError(
        absl::StrCat("retention: unknown subcommand \"", positional[0],
                     "\": the only one is `retention run --as-of YYYY-MM-DD`")));
  }
  if (!flags.WasSet("as-of")) {
    return ReportError(absl::InvalidArgumentError(
        "retention run: flag --as-of is required (--as-of YYYY-MM-DD)"));
  }
  absl::StatusOr<absl::CivilDay> day = ParseLocalDate(as_of);
  if (!day.ok()) {
    return ReportError(absl::InvalidArgumentError(
        absl::StrCat("retention run: flag --as-of: ", day.status().message())));
  }
  if (absl::Status actor = CheckActor("retention run", actor_id); !actor.ok()) {
    return ReportError(actor);
  }
  absl::StatusOr<std::unique_ptr<Engine>> engine = OpenEngine(context.global);
  if (!engine.ok()) return ReportError(engine.status());
  absl::StatusOr<std::vector<RetentionErasure>> erased = (*engine)->RunRetention(*day, actor_id);
  if (!erased.ok()) return ReportError(erased.status());
  if (json) {
    std::string out = absl::StrCat("{\"as_of\":\"", absl::FormatCivilTime(*day), "\",\"erased\":[");
    for (size_t i = 0; i < erased->size(); ++i) {
      const RetentionErasure& erasure = (*erased)[i];
      absl::StrAppend(&out, i == 0 ? "" : ",", "{\"member_id\":\"", erasure.member_id,
                      "\",\"inactive_since\":\"", FormatTimeUs(erasure.inactive_since_us),
                      "\",\"sequence\":", erasure.sequence, "}");
    }
    Print(absl::StrCat(out, "]}\n"));
    return kExitOk;
  }
  std::string out = absl::StrCat("erased the personal data of ", erased->size(),
                                 erased->size() == 1 ? " member" : " members",
                                 " inactive as of ", absl::FormatCivilTime(*day), "\n");
  for (const RetentionErasure& erasure : *erased) {
    absl::StrAppend(&out, "  ", erasure.member_id, "  inactive since ",
                    FormatTimeUs(erasure.inactive_since_us), "  sequence ", erasure.sequence,
                    "\n");
  }
  Print(out);
  return kExitOk;
}

}  // namespace loyalty::cli
