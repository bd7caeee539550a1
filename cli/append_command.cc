// loyalty append: events from JSON Lines into the ledger.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "cli/command.h"
#include "cli/commands.h"
#include "cli/json_lines.h"
#include "cli/ledger_io.h"
#include "loyalty/ledger.h"
#include "loyalty/limits.h"

namespace loyalty::cli {
namespace {

// The whole of `path`, or of standard input for "-".
absl::StatusOr<std::string> ReadInput(const std::string& path) {
  const bool is_stdin = path == "-";
  const std::string name = is_stdin ? "standard input" : path;
  std::FILE* file = is_stdin ? stdin : std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", name, ": ", std::strerror(errno)));
  }
  std::string content;
  char buffer[64 * 1024];
  size_t read = 0;
  while ((read = std::fread(buffer, 1, sizeof(buffer), file)) > 0) content.append(buffer, read);
  const bool failed = std::ferror(file) != 0;
  const int error_number = errno;
  if (!is_stdin) std::fclose(file);
  if (failed) {
    // A directory given as FILE is the caller's mistake; other errors are I/O.
    const std::string message =
        absl::StrCat("cannot read ", name, ": ", std::strerror(error_number));
    return error_number == EISDIR ? absl::InvalidArgumentError(message)
                                  : absl::UnavailableError(message);
  }
  return content;
}

// Appends `batch` and prints its sequences. On failure reports the input line
// and returns the exit code.
int AppendBatchOf(Ledger& ledger, absl::Span<const NumberedEnvelope> lines,
                  uint64_t* appended_events) {
  AppendBatch batch;
  for (const NumberedEnvelope& line : lines) batch.Add(line.envelope);
  absl::StatusOr<AppendResult> result = ledger.Append(batch);
  if (!result.ok()) {
    const int exit_code = ReportError(
        absl::Status(result.status().code(), AttributeToLine(result.status().message(), lines)));
    if (*appended_events > 0) {
      ReportError(absl::Status(
          result.status().code(),
          absl::StrCat("the ", *appended_events, " events before line ", lines.front().line_number,
                       " were appended; none from that line on")));
    }
    return exit_code;
  }
  std::string out;
  for (uint64_t sequence : result->sequences) {
    absl::StrAppend(&out, sequence, result->deduplicated ? " (duplicate)\n" : "\n");
  }
  Print(out);
  // Progress is visible even if a later batch fails.
  std::fflush(stdout);
  *appended_events += lines.size();
  return kExitOk;
}

}  // namespace

int RunAppend(CommandContext& context) {
  uint64_t batch_size = kMaxBatchEvents;
  FlagSet flags = context.NewFlagSet();
  flags.Uint64("batch-size", "N",
               absl::StrCat("events per atomic batch, 1 to ", kMaxBatchEvents,
                            " (default: ", kMaxBatchEvents, ")"),
               &batch_size);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 0, 1, &positional)) return *done;
  if (batch_size < 1 || batch_size > kMaxBatchEvents) {
    return ReportError(absl::InvalidArgumentError(absl::StrCat(
        "append: flag --batch-size: ", batch_size, " is not between 1 and ", kMaxBatchEvents)));
  }

  // Every line is parsed before anything is appended, so that a typo
  // anywhere in the input leaves the ledger untouched.
  absl::StatusOr<std::string> input = ReadInput(positional.empty() ? "-" : positional[0]);
  if (!input.ok()) return ReportError(input.status());
  absl::StatusOr<std::vector<NumberedEnvelope>> events = ParseJsonLines(*input);
  if (!events.ok()) return ReportError(events.status());
  input->clear();

  absl::StatusOr<std::unique_ptr<Ledger>> ledger =
      OpenLedgerForAppending(context.global.db_directory);
  if (!ledger.ok()) return ReportError(ledger.status());

  const absl::Span<const NumberedEnvelope> all(*events);
  uint64_t appended_events = 0;
  for (size_t start = 0; start < all.size(); start += batch_size) {
    const int exit_code = AppendBatchOf(**ledger, all.subspan(start, batch_size), &appended_events);
    if (exit_code != kExitOk) return exit_code;
  }
  return kExitOk;
}

}  // namespace loyalty::cli
