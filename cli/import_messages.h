// The engine's reasons for rejecting a row of a purchase history, said in
// the file's terms: the columns the user wrote and the file's unit (CNY),
// not the command's fields and fen. Pure.
#ifndef LOYALTY_CLI_IMPORT_MESSAGES_H_
#define LOYALTY_CLI_IMPORT_MESSAGES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace loyalty::cli {

// `status` with its message's leading field named by its column: on a
// purchase row partner_id is store_id; on a refund row the refund's
// refund_id is the purchase_id column and the purchase it names is the
// refund_of column; amount_fen is amount, with every "N fen" in the message
// written "N/100 CNY"; occurred_at_us is occurred_at. The code is kept, and
// so is a message that does not start with a known field. For example, on a
// refund row:
//   purchase_id: "P8" is not recorded
//     -> refund_of: "P8" is not recorded
//   amount_fen: a refund of 20000 fen of purchase "P1" exceeds the 5000 fen ...
//     -> amount: a refund of 200.00 CNY of purchase "P1" exceeds the 50.00 CNY ...
absl::Status InFileTerms(const absl::Status& status, bool refund_row);

// "N fen" -> "N/100 CNY" (two decimals) for every whole number of fen in
// `message`.
std::string FenAsCny(absl::string_view message);

}  // namespace loyalty::cli

#endif  // LOYALTY_CLI_IMPORT_MESSAGES_H_
