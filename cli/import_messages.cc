#include "cli/import_messages.h"

#include <array>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "cli/report_format.h"

namespace loyalty::cli {
namespace {

using FieldColumn = std::pair<absl::string_view, absl::string_view>;

constexpr std::array<FieldColumn, 3> kPurchaseColumns = {{
    {"partner_id", "store_id"},
    {"amount_fen", "amount"},
    {"occurred_at_us", "occurred_at"},
}};
constexpr std::array<FieldColumn, 4> kRefundColumns = {{
    {"refund_id", "purchase_id"},
    {"purchase_id", "refund_of"},
    {"amount_fen", "amount"},
    {"occurred_at_us", "occurred_at"},
}};

}  // namespace

std::string FenAsCny(absl::string_view message) {
  constexpr absl::string_view kFen = " fen";
  std::string out;
  size_t at = 0;
  while (at < message.size()) {
    const bool starts_number =
        absl::ascii_isdigit(static_cast<unsigned char>(message[at])) &&
        (at == 0 || !absl::ascii_isalnum(static_cast<unsigned char>(message[at - 1])));
    if (!starts_number) {
      out.push_back(message[at++]);
      continue;
    }
    size_t end = at;
    while (end < message.size() && absl::ascii_isdigit(static_cast<unsigned char>(message[end]))) {
      ++end;
    }
    const absl::string_view digits = message.substr(at, end - at);
    const absl::string_view after = message.substr(end);
    int64_t fen = 0;
    const bool is_fen = absl::StartsWith(after, kFen) &&
                        (after.size() == kFen.size() ||
                         !absl::ascii_isalnum(static_cast<unsigned char>(after[kFen.size()]))) &&
                        absl::SimpleAtoi(digits, &fen);
    if (is_fen) {
      absl::StrAppend(&out, FormatFenAsYuan(fen), " CNY");
      at = end + kFen.size();
    } else {
      out.append(digits.data(), digits.size());
      at = end;
    }
  }
  return out;
}

absl::Status InFileTerms(const absl::Status& status, bool refund_row) {
  const absl::string_view message = status.message();
  const absl::Span<const FieldColumn> columns =
      refund_row ? absl::Span<const FieldColumn>(kRefundColumns)
                 : absl::Span<const FieldColumn>(kPurchaseColumns);
  for (const auto& [field, column] : columns) {
    if (!absl::StartsWith(message, field) ||
        !absl::StartsWith(message.substr(field.size()), ": ")) {
      continue;
    }
    std::string rest(message.substr(field.size()));
    if (field == "amount_fen") rest = FenAsCny(rest);
    return absl::Status(status.code(), absl::StrCat(column, rest));
  }
  return status;
}

}  // namespace loyalty::cli
