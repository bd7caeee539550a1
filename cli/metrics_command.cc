// loyalty metrics: the engine's and the ledger's metrics in the Prometheus
// text format (include/loyalty/metrics.h).
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/command.h"
#include "cli/commands.h"
#include "cli/ledger_io.h"
#include "loyalty/engine.h"
#include "loyalty/metrics.h"

namespace loyalty::cli {

int RunMetrics(CommandContext& context) {
  FlagSet flags = context.NewFlagSet();
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 0, 0, &positional)) return *done;
  // Opening the engine is what this process does: the figures are those of
  // the open (the catch-up past the checkpoint) and of the storage.
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      OpenEngineForReading(context.global);
  if (!engine.ok()) return ReportError(engine.status());
  Print(ToPrometheusText((*engine)->Metrics()));
  return kExitOk;
}

}  // namespace loyalty::cli
