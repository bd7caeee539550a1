// Formatting for the loyalty tool's reports: money, rates, local times, the
// names of tiers and grant reasons, aligned tables and JSON objects.
//
// Amounts are integer fen and rates integer basis points; both are turned
// into text with integer arithmetic only, so every value prints exactly.
#ifndef LOYALTY_CLI_REPORT_FORMAT_H_
#define LOYALTY_CLI_REPORT_FORMAT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/v1/points.pb.h"
#include "loyalty/views.h"

namespace loyalty::cli {

// The mall's time zone, Asia/Shanghai: a fixed UTC+8 (China has kept no
// daylight saving since 1991), as the engine's business rules use it.
inline constexpr int kMallUtcOffsetSeconds = 8 * 60 * 60;
absl::TimeZone MallTimeZone();

// Fen as yuan with two decimals, no unit: 123456 -> "1234.56",
// 5 -> "0.05", -5 -> "-0.05". Exact for every int64.
std::string FormatFenAsYuan(int64_t amount_fen);

// Basis points as a percentage with two decimals: 1234 -> "12.34%",
// 10000 -> "100.00%". Exact for every int64.
std::string FormatBasisPointsAsPercent(int64_t rate_bp);

// Hundredths with two decimals, no unit: 450 -> "4.50" (an average
// satisfaction score), -5 -> "-0.05". Exact for every int64.
std::string FormatHundredths(int64_t hundredths);

// RFC 3339 in the mall's time zone, with microseconds:
// "2024-01-01T08:00:00.000000+08:00".
std::string FormatLocalTimeUs(int64_t instant_us);

// Lower-case short names: TIER_GOLD -> "gold", GRANT_REASON_PURCHASE ->
// "purchase"; "unspecified" for the zero value and "unknown(N)" for a value
// the schema does not name.
std::string TierName(v1::Tier tier);
std::string GrantReasonName(v1::GrantReason reason);
// CHANNEL_PHONE -> "phone"; "unspecified" for CHANNEL_UNSPECIFIED.
std::string ChannelName(v1::Channel channel);

// The words of the complaint views: "filed", "replied", "investigating",
// "resolved", "customer notified", "closed", "reopened"; "reply",
// "notification"; "pending", "met", "breached", "due unknown".
std::string ComplaintStateName(ComplaintState state);
std::string SlaClockKindName(SlaClockKind kind);
std::string SlaClockStatusName(SlaClockStatus status);

// "Monday" ... "Sunday": the local weekday of an instant.
std::string LocalWeekdayName(int64_t instant_us);

// A table of text cells printed in aligned columns separated by two spaces,
// each line starting with `indent`. Numbers are right-aligned. The last
// column is not padded, so no line ends in spaces. Columns are aligned on a
// terminal: a Chinese character counts two columns (text/display_width.h).
class TextTable {
 public:
  enum class Align { kLeft, kRight };

  // One entry per column; every row must have as many cells (asserted).
  explicit TextTable(std::vector<Align> columns, std::string indent = "");

  void AddRow(std::vector<std::string> cells);
  std::string Render() const;

 private:
  std::vector<Align> columns_;
  std::string indent_;
  std::vector<std::vector<std::string>> rows_;
};

// `text` as a JSON string literal, quotes included. Escapes `"`, `\` and the
// control characters below 0x20; other bytes are copied (ids are UTF-8).
std::string JsonQuote(absl::string_view text);

// One JSON object on one line, its keys in the order they are added.
//
// Example:
//   std::string json = JsonObject().Int("sequence", 6).String("name", "M1").Build();
//   // {"sequence":6,"name":"M1"}
class JsonObject {
 public:
  JsonObject& Int(absl::string_view key, int64_t value);
  JsonObject& Uint(absl::string_view key, uint64_t value);
  JsonObject& Bool(absl::string_view key, bool value);
  JsonObject& String(absl::string_view key, absl::string_view value);
  // `json` must already be valid JSON (an object, an array, null).
  JsonObject& Raw(absl::string_view key, absl::string_view json);
  // An instant as two keys: "<name>" in RFC 3339 local time and
  // "<name>_us" in microseconds. With `none_when_zero`, 0 (not set) gives
  // null for "<name>".
  JsonObject& Instant(absl::string_view name, int64_t instant_us, bool none_when_zero = false);

  std::string Build() const { return body_ + "}"; }

 private:
  JsonObject& Key(absl::string_view key);
  std::string body_ = "{";
};

// A JSON array of already-encoded elements: ["a",1] from {"\"a\"", "1"}.
std::string JsonArray(absl::Span<const std::string> elements);

}  // namespace loyalty::cli

#endif  // LOYALTY_CLI_REPORT_FORMAT_H_
