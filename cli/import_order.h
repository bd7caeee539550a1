// The order in which `loyalty import purchases` applies a history's rows:
// business time, whatever the order of the file (docs/import.md).
//
// A member's points and tier depend on the order of the member's purchases
// (a purchase earns at the tier in force before it, and the engine applies
// a purchase dated before the member's latest event at the member's now), so
// a file sorted by store, or exported in another order, would otherwise
// give other points than the same purchases recorded live.
//
// Pure: no I/O, the same rows always give the same order.
#ifndef LOYALTY_CLI_IMPORT_ORDER_H_
#define LOYALTY_CLI_IMPORT_ORDER_H_

#include <cstddef>
#include <vector>

#include "absl/types/span.h"
#include "cli/purchase_csv.h"

namespace loyalty::cli {

struct ImportOrder {
  // Indices into the rows, in the order to apply them.
  std::vector<size_t> indices;
  // How many rows are applied at another place than their place among the
  // rows given (0 for a file already in business-time order).
  size_t moved = 0;
};

// A stable sort by occurred_at (rows of the same instant keep their file
// order), except that a refund comes after the purchase it names when that
// purchase is among `rows`: a refund dated before its purchase (a clock
// skew between tills) is applied right after the purchase, after any
// earlier such refunds of it. `rows` should hold each purchase id once
// (repeats are set aside before); if not, a refund follows the first.
ImportOrder BusinessTimeOrder(absl::Span<const PurchaseRow> rows);

}  // namespace loyalty::cli

#endif  // LOYALTY_CLI_IMPORT_ORDER_H_
