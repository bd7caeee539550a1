// Rows of a purchase history whose id was seen before: on an earlier line
// of the file, or recorded in the ledger. The id is the idempotency key, so
// a repeat with the same content is a retry (skipped as a duplicate) and a
// repeat with other content is a conflict: two different purchases under
// one id, which `loyalty import purchases` reports instead of keeping
// whichever came first (docs/import.md).
//
// Pure: no I/O.
#ifndef LOYALTY_CLI_IMPORT_DUPLICATES_H_
#define LOYALTY_CLI_IMPORT_DUPLICATES_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "cli/purchase_csv.h"
#include "loyalty/v1/envelope.pb.h"

namespace loyalty::cli {

// What one purchase or refund says, as the rows and the ledger both can.
struct PurchaseFacts {
  bool refund = false;
  // The purchase's id; for a refund, the refund's.
  std::string id;
  // Purchases only: a refund's member and store are its purchase's.
  std::string member_id;
  std::string store_id;
  std::string category;
  // Refunds only: the purchase refunded.
  std::string refund_of;
  int64_t amount_fen = 0;
  int64_t occurred_at_us = 0;
};

PurchaseFacts FactsOfRow(const PurchaseRow& row);

// The facts of a recorded purchase_recorded or refund_recorded event;
// nullopt for any other event.
std::optional<PurchaseFacts> FactsOfEvent(const v1::Envelope& envelope);

// How `row` differs from `earlier` (same kind and id), in the file's
// columns and units, `where` naming the earlier one ("there", "recorded"),
// e.g.
//   amount 100.00 CNY recorded, 120.00 CNY here; store_id "S1" recorded, "S2" here
// Empty when they agree on every compared column: for a purchase member_id,
// store_id, amount, occurred_at and category; for a refund refund_of,
// amount and occurred_at.
std::string Differences(const PurchaseFacts& earlier, const PurchaseFacts& row,
                        const std::string& where);

// AlreadyExists "line N: conflict: purchase_id \"P1\" is <where> with other
// content: <differences>".
absl::Status ConflictStatus(size_t line_number, const PurchaseFacts& row, const std::string& where,
                            const std::string& differences);

struct FileRepeats {
  // The rows to import: each id's first row in the file, in file order.
  std::vector<size_t> first_rows;
  // Later rows with the same content as their first row.
  std::vector<size_t> duplicate_rows;
  // Later rows with other content, each with its conflict status.
  std::vector<std::pair<size_t, absl::Status>> conflicts;
};

// Sorts `rows` (indices in file order) into first rows, identical repeats
// and conflicting repeats. Purchases and refunds have separate ids.
FileRepeats FindFileRepeats(absl::Span<const PurchaseRow> rows);

}  // namespace loyalty::cli

#endif  // LOYALTY_CLI_IMPORT_DUPLICATES_H_
