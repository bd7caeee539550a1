#include "cli/report_format.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "text/display_width.h"
#include "util/check.h"

namespace loyalty::cli {
namespace {

// The enum value's name without `prefix`, in lower case.
std::string ShortEnumName(const std::string& full_name, absl::string_view prefix, int value) {
  if (full_name.empty()) return absl::StrCat("unknown(", value, ")");
  absl::string_view name = full_name;
  absl::ConsumePrefix(&name, prefix);
  return absl::AsciiStrToLower(name);
}

}  // namespace

absl::TimeZone MallTimeZone() { return absl::FixedTimeZone(kMallUtcOffsetSeconds); }

// Computed on the magnitude in unsigned arithmetic so that INT64_MIN has one
// too.
std::string FormatHundredths(int64_t hundredths) {
  const bool negative = hundredths < 0;
  const uint64_t magnitude =
      negative ? 0 - static_cast<uint64_t>(hundredths) : static_cast<uint64_t>(hundredths);
  return absl::StrCat(negative ? "-" : "", magnitude / 100, ".",
                      absl::Dec(magnitude % 100, absl::kZeroPad2));
}

std::string FormatFenAsYuan(int64_t amount_fen) { return FormatHundredths(amount_fen); }

std::string FormatBasisPointsAsPercent(int64_t rate_bp) {
  return absl::StrCat(FormatHundredths(rate_bp), "%");
}

std::string FormatLocalTimeUs(int64_t instant_us) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6S%Ez", absl::FromUnixMicros(instant_us),
                          MallTimeZone());
}

std::string TierName(v1::Tier tier) {
  // Tier_Name takes any int and gives "" for a value the schema does not name.
  return ShortEnumName(v1::Tier_Name(tier), "TIER_", tier);
}

std::string GrantReasonName(v1::GrantReason reason) {
  return ShortEnumName(v1::GrantReason_Name(reason), "GRANT_REASON_", reason);
}

std::string ChannelName(v1::Channel channel) {
  return ShortEnumName(v1::Channel_Name(channel), "CHANNEL_", channel);
}

std::string ComplaintStateName(ComplaintState state) {
  switch (state) {
    case ComplaintState::kFiled:
      return "filed";
    case ComplaintState::kReplied:
      return "replied";
    case ComplaintState::kInvestigating:
      return "investigating";
    case ComplaintState::kResolved:
      return "resolved";
    case ComplaintState::kCustomerNotified:
      return "customer notified";
    case ComplaintState::kClosed:
      return "closed";
    case ComplaintState::kReopened:
      return "reopened";
  }
  return absl::StrCat("unknown(", static_cast<int>(state), ")");
}

std::string SlaClockKindName(SlaClockKind kind) {
  return kind == SlaClockKind::kReply ? "reply" : "notification";
}

std::string SlaClockStatusName(SlaClockStatus status) {
  switch (status) {
    case SlaClockStatus::kPending:
      return "pending";
    case SlaClockStatus::kMet:
      return "met";
    case SlaClockStatus::kBreached:
      return "breached";
    case SlaClockStatus::kDueUnknown:
      return "due unknown";
  }
  return absl::StrCat("unknown(", static_cast<int>(status), ")");
}

std::string LocalWeekdayName(int64_t instant_us) {
  return absl::FormatTime("%A", absl::FromUnixMicros(instant_us), MallTimeZone());
}

TextTable::TextTable(std::vector<Align> columns, std::string indent)
    : columns_(std::move(columns)), indent_(std::move(indent)) {}

void TextTable::AddRow(std::vector<std::string> cells) {
  LOYALTY_CHECK_MSG(cells.size() == columns_.size(), "a row of ", cells.size(), " cells in a table of ",
                    columns_.size(), " columns");
  rows_.push_back(std::move(cells));
}

std::string TextTable::Render() const {
  std::vector<size_t> widths(columns_.size(), 0);
  for (const std::vector<std::string>& row : rows_) {
    for (size_t column = 0; column < row.size(); ++column) {
      widths[column] = std::max(widths[column], text::DisplayWidth(row[column]));
    }
  }
  std::string out;
  for (const std::vector<std::string>& row : rows_) {
    std::string line = indent_;
    for (size_t column = 0; column < row.size(); ++column) {
      const std::string& cell = row[column];
      const std::string padding(widths[column] - text::DisplayWidth(cell), ' ');
      const bool last = column + 1 == row.size();
      if (columns_[column] == Align::kRight) {
        absl::StrAppend(&line, padding, cell);
      } else {
        absl::StrAppend(&line, cell, last ? "" : padding);
      }
      if (!last) line += "  ";
    }
    // Empty cells at the end of a row leave separators behind.
    absl::StripTrailingAsciiWhitespace(&line);
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::string JsonQuote(absl::string_view text) {
  static constexpr char kHexDigits[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (byte < 0x20) {
      absl::StrAppend(&out, "\\u00", absl::string_view(&kHexDigits[byte >> 4], 1),
                      absl::string_view(&kHexDigits[byte & 0xf], 1));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

JsonObject& JsonObject::Key(absl::string_view key) {
  if (body_.size() > 1) body_.push_back(',');
  absl::StrAppend(&body_, JsonQuote(key), ":");
  return *this;
}

JsonObject& JsonObject::Int(absl::string_view key, int64_t value) {
  absl::StrAppend(&Key(key).body_, value);
  return *this;
}

JsonObject& JsonObject::Uint(absl::string_view key, uint64_t value) {
  absl::StrAppend(&Key(key).body_, value);
  return *this;
}

JsonObject& JsonObject::Bool(absl::string_view key, bool value) {
  absl::StrAppend(&Key(key).body_, value ? "true" : "false");
  return *this;
}

JsonObject& JsonObject::String(absl::string_view key, absl::string_view value) {
  absl::StrAppend(&Key(key).body_, JsonQuote(value));
  return *this;
}

JsonObject& JsonObject::Raw(absl::string_view key, absl::string_view json) {
  absl::StrAppend(&Key(key).body_, json);
  return *this;
}

JsonObject& JsonObject::Instant(absl::string_view name, int64_t instant_us, bool none_when_zero) {
  if (none_when_zero && instant_us == 0) {
    Raw(name, "null");
  } else {
    String(name, FormatLocalTimeUs(instant_us));
  }
  return Int(absl::StrCat(name, "_us"), instant_us);
}

std::string JsonArray(absl::Span<const std::string> elements) {
  return absl::StrCat("[", absl::StrJoin(elements, ","), "]");
}

}  // namespace loyalty::cli
