// loyalty contactable: the members that may be contacted on a channel for a
// purpose, from the consents the log records (docs/privacy.md, "Consent and
// purpose"). Reads no personal data: it opens the engine without the master
// key, so a service can decide whom it may message without holding it.
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cli/as_of.h"
#include "cli/command.h"
#include "cli/commands.h"
#include "cli/ledger_io.h"
#include "cli/reports.h"
#include "loyalty/engine.h"

namespace loyalty::cli {

int RunContactable(CommandContext& context) {
  AsOfFlags as_of_flags;
  std::string channel_name;
  std::string purpose_name;
  bool json = false;
  FlagSet flags = context.NewFlagSet();
  flags.String("channel", "CHANNEL", "sms or email", &channel_name);
  flags.String("purpose", "PURPOSE", "birthday-care or offers", &purpose_name);
  AddAsOfFlags(flags, &as_of_flags);
  flags.Bool("json", "print one JSON object instead of text", &json);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 0, 0, &positional)) return *done;

  absl::StatusOr<ContactChannel> channel = ParseContactChannel(channel_name);
  if (!channel.ok()) {
    return ReportError(absl::InvalidArgumentError(
        absl::StrCat("contactable: flag --channel: ", channel.status().message())));
  }
  absl::StatusOr<ContactPurpose> purpose = ParseContactPurpose(purpose_name);
  if (!purpose.ok()) {
    return ReportError(absl::InvalidArgumentError(
        absl::StrCat("contactable: flag --purpose: ", purpose.status().message())));
  }
  absl::StatusOr<AsOf> as_of = AsOfFromFlags("contactable", flags, as_of_flags);
  if (!as_of.ok()) return ReportError(as_of.status());

  // Consents are not personal data: no master key, even when one is beside
  // the ledger.
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      OpenEngineForReading(context.global, MasterKeySource());
  if (!engine.ok()) return ReportError(engine.status());
  absl::StatusOr<ContactableView> view = (*engine)->Contactable(*channel, *purpose, *as_of);
  if (!view.ok()) return ReportError(view.status());
  Print(json ? ContactableJson(*view) : ContactableText(*view));
  return kExitOk;
}

}  // namespace loyalty::cli
