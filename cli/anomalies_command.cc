// loyalty anomalies: the events the projections applied only as far as a
// rule of the domain allowed (docs/reliability.md, "Events that break a
// rule").
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/command.h"
#include "cli/commands.h"
#include "cli/ledger_io.h"
#include "cli/reports.h"
#include "loyalty/engine.h"

namespace loyalty::cli {

int RunAnomalies(CommandContext& context) {
  bool json = false;
  FlagSet flags = context.NewFlagSet();
  flags.Bool("json", "print one JSON object instead of text", &json);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 0, 0, &positional)) return *done;

  // Anomalies need no personal data: no master key.
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      OpenEngineForReading(context.global, MasterKeySource());
  if (!engine.ok()) return ReportError(engine.status());
  absl::StatusOr<AnomaliesView> anomalies = (*engine)->Anomalies();
  if (!anomalies.ok()) return ReportError(anomalies.status());
  Print(json ? AnomaliesJson(*anomalies) : AnomaliesText(*anomalies));
  return kExitOk;
}

}  // namespace loyalty::cli
