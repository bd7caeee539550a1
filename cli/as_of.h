// Which state a report reads: the --as-of and --at-seq flags, and the
// parsing of the times and days the tool accepts on its command line.
//
// Example:
//   AsOfFlags as_of_flags;
//   FlagSet flags = context.NewFlagSet();
//   AddAsOfFlags(flags, &as_of_flags);
//   ... parse ...
//   absl::StatusOr<AsOf> as_of = AsOfFromFlags("tiers", flags, as_of_flags);
#ifndef LOYALTY_CLI_AS_OF_H_
#define LOYALTY_CLI_AS_OF_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "cli/flags.h"
#include "loyalty/views.h"

namespace loyalty::cli {

// The values of --as-of, --known-at and --at-seq; which were given is asked
// of the FlagSet, since every sequence (0 included) is a valid --at-seq.
struct AsOfFlags {
  std::string as_of_time;     // business time
  std::string known_at_time;  // recorded (ledger) time
  uint64_t at_sequence = 0;
};

// Registers --as-of TIME, --known-at TIME and --at-seq N on `flags`, bound
// to `values`.
void AddAsOfFlags(FlagSet& flags, AsOfFlags* values);

// The AsOf the parsed flags select: AsOf::Now() when none was given,
// AsOf::BusinessTime for --as-of (what had occurred by then, as the ledger
// knows it now: what an operator asking about a date means),
// AsOf::RecordedTime for --known-at (what the ledger knew then),
// AsOf::Sequence for --at-seq. InvalidArgument, starting "<command>: flag
// --as-of" (or the flags concerned) and naming the value, when two were
// given or a time does not parse.
absl::StatusOr<AsOf> AsOfFromFlags(absl::string_view command, const FlagSet& flags,
                                   const AsOfFlags& values);

// The axis of an AsOf as the reports name it: "now", "by sequence",
// "business time", "recorded time".
std::string AsOfAxisName(AsOf::Kind kind);

// Whether `as_of` was chosen by a time (--as-of or --known-at).
bool IsTimeAxis(AsOf as_of);

// How the flags chose `as_of`, for messages: "--at-seq N", or "--as-of
// VALUE (business time: ...); --known-at VALUE reads recorded time (...)"
// and the reverse, pointing to the other axis.
std::string AsOfFlagText(AsOf as_of, const AsOfFlags& values);

// What a report says when the state read at a business or recorded time
// holds nothing it could report: "<nothing> by TIME (<axis>: <meaning>);
// <flag> <value> reads <the other axis> (<meaning>)", the value being the
// one given on the command line. `nothing` says what is missing ("no
// member", "nothing").
std::string NothingByThenHint(AsOf as_of, const AsOfFlags& values, absl::string_view nothing);

// Parses an --as-of value into microseconds since the Unix epoch:
//  - RFC 3339 with an offset and optional fraction of a second:
//    "2024-06-30T23:59:59+08:00", "2024-06-30T15:59:59.5Z" (fractions
//    below a microsecond are truncated);
//  - a bare local date "2024-06-30", meaning the last microsecond of that
//    day in the mall's time zone: 2024-06-30T23:59:59.999999+08:00.
// InvalidArgument (without a flag name) for anything else: other shapes,
// surrounding spaces, out-of-range fields such as "2024-02-30".
absl::StatusOr<int64_t> ParseAsOfTimeUs(absl::string_view text);

// Parses a local calendar day written exactly "YYYY-MM-DD". InvalidArgument
// (without a flag name) for any other shape or a day that does not exist.
absl::StatusOr<absl::CivilDay> ParseLocalDate(absl::string_view text);

}  // namespace loyalty::cli

#endif  // LOYALTY_CLI_AS_OF_H_
