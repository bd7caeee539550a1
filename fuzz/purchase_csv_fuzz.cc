// libFuzzer target: the purchase CSV of `loyalty import purchases`
// (cli/purchase_csv.h). Any bytes must parse into rows and rejected rows,
// or one error for the whole file, never crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "cli/purchase_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = loyalty::cli::ParsePurchaseCsvRows(input);
  if (!parsed.ok()) {
    if (parsed.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  size_t previous_line = 0;
  for (const loyalty::cli::PurchaseRow& row : parsed->rows) {
    if (row.amount_fen < 0) std::abort();
    if (row.line_number <= previous_line) std::abort();  // in file order
    previous_line = row.line_number;
  }
  for (const loyalty::cli::RejectedRow& rejected : parsed->rejected) {
    if (rejected.status.ok()) std::abort();
    if (!absl::StartsWith(rejected.status.message(), "line ")) std::abort();
  }
  // The strict form agrees: the rows when nothing was rejected, else an error.
  auto strict = loyalty::cli::ParsePurchaseCsv(input);
  if (strict.ok() != parsed->rejected.empty()) std::abort();
  if (strict.ok() && strict->size() != parsed->rows.size()) std::abort();
  // Amounts on their own, from the same bytes.
  auto amount = loyalty::cli::ParseAmountYuanToFen(input.substr(0, 32));
  if (amount.ok() && *amount < 0) std::abort();
  return 0;
}
