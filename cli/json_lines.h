// JSON Lines input of the loyalty tool: one Envelope per line, in protobuf's
// JSON mapping (both the .proto field names and their lowerCamelCase JSON
// names are accepted). Blank lines are skipped but counted, so line numbers
// in errors are those an editor shows.
#ifndef LOYALTY_CLI_JSON_LINES_H_
#define LOYALTY_CLI_JSON_LINES_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "loyalty/limits.h"
#include "loyalty/v1/envelope.pb.h"

namespace loyalty::cli {

// A line may hold at most this many bytes: the JSON form of the largest
// event the ledger accepts, with room for base64 and escaping. A longer line
// is refused and nothing of its input is appended.
inline constexpr size_t kMaxJsonLineBytes = 4 * kMaxEventBytes;

// The whole input of `loyalty append` may hold at most this many bytes
// (256 MiB); a larger one is refused before anything is appended. The input
// is held and parsed whole before the first append, so that a typo on any
// line appends nothing, and that costs memory: the text and its parsed
// envelopes, about three times the text. kMaxBatchEvents lines of
// kMaxJsonLineBytes (10 GiB) would not fit; the largest batch of usual
// events (a purchase is about 250 bytes as a line) is about 2.5 MB, so this
// holds some 100 full batches, or 10000 events of 25 KiB each. Larger loads
// are split into several runs (each is retried safely), or go through
// `loyalty import`, which streams its file.
inline constexpr size_t kMaxAppendInputBytes = size_t{256} << 20;

// An envelope and the 1-based line of the input it was read from.
struct NumberedEnvelope {
  size_t line_number = 0;
  v1::Envelope envelope;
};

// Parses every line of `input`. On the first line that does not parse
// returns InvalidArgument "line N: <what is wrong>" (one line of text).
// A final line without a newline counts; "\r\n" endings are accepted.
absl::StatusOr<std::vector<NumberedEnvelope>> ParseJsonLines(absl::string_view input);

// Rewrites a ledger status message about `batch` so that it names an input
// line: the ledger names the failing event "event I: ..." (I is the index in
// the batch), which becomes "line N: ..."; a message naming no event (for
// example an idempotency conflict of the whole batch) is attributed to the
// batch's first line. `batch` must not be empty.
std::string AttributeToLine(absl::string_view ledger_message,
                            absl::Span<const NumberedEnvelope> batch);

}  // namespace loyalty::cli

#endif  // LOYALTY_CLI_JSON_LINES_H_
