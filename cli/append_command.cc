// loyalty append: events from JSON Lines into the ledger, through the
// engine's check (Engine::Append).
#include <algorithm>
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
#include "loyalty/engine.h"
#include "loyalty/ledger.h"
#include "loyalty/limits.h"

namespace loyalty::cli {
namespace {

// The whole of `path`, or of standard input for "-"; InvalidArgument when it
// holds more than kMaxAppendInputBytes (read no further than one byte past).
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
  bool too_large = false;
  while ((read = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    if (read > kMaxAppendInputBytes - content.size()) {
      too_large = true;
      break;
    }
    content.append(buffer, read);
  }
  const bool failed = !too_large && std::ferror(file) != 0;
  const int error_number = errno;
  if (!is_stdin) std::fclose(file);
  if (failed) {
    // A directory given as FILE is the caller's mistake; other errors are I/O.
    const std::string message =
        absl::StrCat("cannot read ", name, ": ", std::strerror(error_number));
    return error_number == EISDIR ? absl::InvalidArgumentError(message)
                                  : absl::UnavailableError(message);
  }
  if (too_large) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": more than ", kMaxAppendInputBytes, " bytes, the limit of one input (",
        kMaxAppendInputBytes >> 20, " MiB, kMaxAppendInputBytes); nothing was appended: split "
        "it into several runs"));
  }
  return content;
}

// Whether `status` refuses the input (as opposed to the ledger failing):
// exit code 1, like a line that does not parse.
bool IsRefusal(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kOutOfRange:
      return true;
    default:
      return false;
  }
}

// Appends `lines` as one batch through the engine and prints its sequences.
// On failure reports the input line and returns the exit code.
int AppendBatchOf(Engine& engine, absl::Span<const NumberedEnvelope> lines,
                  uint64_t* appended_events) {
  AppendBatch batch;
  for (const NumberedEnvelope& line : lines) batch.Add(line.envelope);
  absl::StatusOr<CommandResult> result = engine.Append(batch);
  if (!result.ok()) {
    const absl::Status status(result.status().code(),
                              AttributeToLine(result.status().message(), lines));
    ReportError(status);
    if (*appended_events > 0) {
      ReportError(absl::Status(
          result.status().code(),
          absl::StrCat("the ", *appended_events, " events before line ", lines.front().line_number,
                       " were appended; none from that line on")));
    }
    return IsRefusal(status) ? kExitUsage : ExitCodeFor(status);
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

// The end of the batch that starts at `start`: `batch_size` events on, but
// never just before the second event of a decision (a purchase's points,
// a refund's clawback, a resolution's goodwill), which Engine::Append takes
// only with the event before it. Such a cut moves back one event, or, when
// the batch would be empty (--batch-size 1), on one.
size_t BatchEnd(absl::Span<const NumberedEnvelope> all, size_t start, size_t batch_size) {
  size_t end = std::min(all.size(), start + batch_size);
  if (end < all.size() && ContinuesDecision(all[end].envelope)) {
    end = end - 1 > start ? end - 1 : end + 1;
  }
  return end;
}

}  // namespace

int RunAppend(CommandContext& context) {
  uint64_t batch_size = kMaxBatchEvents;
  std::string master_key_file;
  FlagSet flags = context.NewFlagSet();
  flags.Uint64("batch-size", "N",
               absl::StrCat("events per atomic batch, 1 to ", kMaxBatchEvents,
                            " (default: ", kMaxBatchEvents, ")"),
               &batch_size);
  flags.String("master-key", "FILE",
               "the master key file that seals personal data given in the clear (default: "
               "DIR.key beside --db DIR, when it exists)",
               &master_key_file);
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

  // The ledger is created if missing (never over other files); the events
  // go through the engine, which appends only what its own commands would
  // have appended, and seals the personal data given in the clear.
  absl::StatusOr<std::unique_ptr<Engine>> engine = OpenOrCreateEngine(
      context.global, master_key_file.empty()
                          ? DefaultMasterKey(context.global)
                          : MasterKeyFromKeyFile(context.global, master_key_file));
  if (!engine.ok()) return ReportError(engine.status());

  const absl::Span<const NumberedEnvelope> all(*events);
  uint64_t appended_events = 0;
  for (size_t start = 0; start < all.size();) {
    const size_t end = BatchEnd(all, start, batch_size);
    const int exit_code =
        AppendBatchOf(**engine, all.subspan(start, end - start), &appended_events);
    if (exit_code != kExitOk) return exit_code;
    start = end;
  }
  return kExitOk;
}

}  // namespace loyalty::cli
