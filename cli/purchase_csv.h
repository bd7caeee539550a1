// The purchase history file of `loyalty import purchases`: CSV (RFC 4180)
// with a header line naming the columns, one purchase or refund per row.
// Format and semantics: docs/import.md.
//
// Pure: no I/O, no clock, the same text always gives the same result, and
// any bytes are safe to parse (the fuzz target feeds it arbitrary input).
//
// Example:
//   purchase_id,member_id,store_id,amount,occurred_at,refund_of
//   P1,M1,store-7,123.45,2024-01-02T10:00:00+08:00,
//   F1,M1,store-7,23.45,2024-01-05T15:30:00+08:00,P1
#ifndef LOYALTY_CLI_PURCHASE_CSV_H_
#define LOYALTY_CLI_PURCHASE_CSV_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loyalty/limits.h"

namespace loyalty::cli {

// A field may hold at most this many bytes: ids are at most 64 bytes and a
// category at most 1 KiB, so anything longer is a broken file.
inline constexpr size_t kMaxPurchaseCsvFieldBytes = 4096;
// The amount's whole CNY part has at most this many digits (the ledger's
// limit, kMaxAmountFen, is 10,000,000,000 CNY: 11 digits).
inline constexpr size_t kMaxAmountYuanDigits = 12;
// The amounts a row may carry: 0.01 to 10,000,000,000.00 CNY, the range the
// engine accepts for one purchase or refund (kMaxAmountFen, loyalty/limits.h),
// checked when the row is read so that the error is in CNY.
inline constexpr int64_t kMinPurchaseCsvAmountFen = 1;
inline constexpr int64_t kMaxPurchaseCsvAmountFen = kMaxAmountFen;

// One row: a purchase, or (refund_of not empty) a refund of the purchase
// refund_of, whose own id is purchase_id.
struct PurchaseRow {
  // The 1-based line the row starts on (a quoted field may span lines).
  size_t line_number = 0;
  std::string purchase_id;
  std::string member_id;
  std::string store_id;
  // The amount column, CNY with at most two decimals, in fen.
  int64_t amount_fen = 0;
  // Microseconds since the Unix epoch, UTC.
  int64_t occurred_at_us = 0;
  std::string refund_of;
  std::string category;
};

// A row that was not understood.
struct RejectedRow {
  size_t line_number = 0;
  // InvalidArgument "line N: column C: ..." naming the column and the value.
  absl::Status status;
};

struct PurchaseCsv {
  // In file order.
  std::vector<PurchaseRow> rows;
  std::vector<RejectedRow> rejected;
};

// Parses the whole file, keeping the rows that parse and naming those that
// do not. InvalidArgument for what spoils the whole file: no header line, a
// header that lacks a required column or names an unknown or repeated one,
// a quoted field that is never closed, a character after a closing quote.
// A UTF-8 byte order mark before the header is skipped; "\r\n" line endings
// are accepted; blank lines are skipped but counted.
absl::StatusOr<PurchaseCsv> ParsePurchaseCsvRows(absl::string_view text);

// The same, but the first rejected row is the error.
absl::StatusOr<std::vector<PurchaseRow>> ParsePurchaseCsv(absl::string_view text);

// Parses an amount in CNY, "123", "123.4" or "123.45", into fen. No sign,
// no spaces, no thousands separators, at most two decimals and
// kMaxAmountYuanDigits whole digits. InvalidArgument naming the value.
absl::StatusOr<int64_t> ParseAmountYuanToFen(absl::string_view text);

}  // namespace loyalty::cli

#endif  // LOYALTY_CLI_PURCHASE_CSV_H_
