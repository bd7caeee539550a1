#include "cli/import_duplicates.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/report_format.h"
#include "text/quoted.h"

namespace loyalty::cli {

PurchaseFacts FactsOfRow(const PurchaseRow& row) {
  PurchaseFacts facts;
  facts.refund = !row.refund_of.empty();
  facts.id = row.purchase_id;
  if (facts.refund) {
    facts.refund_of = row.refund_of;
  } else {
    facts.member_id = row.member_id;
    facts.store_id = row.store_id;
    facts.category = row.category;
  }
  facts.amount_fen = row.amount_fen;
  facts.occurred_at_us = row.occurred_at_us;
  return facts;
}

std::optional<PurchaseFacts> FactsOfEvent(const v1::Envelope& envelope) {
  PurchaseFacts facts;
  facts.occurred_at_us = envelope.occurred_at_us();
  if (envelope.event().has_purchase_recorded()) {
    const v1::PurchaseRecorded& purchase = envelope.event().purchase_recorded();
    facts.id = purchase.purchase_id();
    facts.member_id = purchase.member_id();
    facts.store_id = purchase.partner_id();
    facts.category = purchase.category();
    facts.amount_fen = purchase.amount_fen();
    return facts;
  }
  if (envelope.event().has_refund_recorded()) {
    const v1::RefundRecorded& refund = envelope.event().refund_recorded();
    facts.refund = true;
    facts.id = refund.refund_id();
    facts.refund_of = refund.purchase_id();
    facts.amount_fen = refund.amount_fen();
    return facts;
  }
  return std::nullopt;
}

std::string Differences(const PurchaseFacts& earlier, const PurchaseFacts& row,
                        const std::string& where) {
  std::vector<std::string> differences;
  auto compare = [&](const char* column, const std::string& then, const std::string& now) {
    if (then != now) {
      differences.push_back(absl::StrCat(column, " ", text::Quoted(then), " ", where, ", ",
                                         text::Quoted(now), " here"));
    }
  };
  if (row.refund) {
    compare("refund_of", earlier.refund_of, row.refund_of);
  } else {
    compare("member_id", earlier.member_id, row.member_id);
    compare("store_id", earlier.store_id, row.store_id);
  }
  if (earlier.amount_fen != row.amount_fen) {
    differences.push_back(absl::StrCat("amount ", FormatFenAsYuan(earlier.amount_fen), " CNY ",
                                       where, ", ", FormatFenAsYuan(row.amount_fen), " CNY here"));
  }
  if (earlier.occurred_at_us != row.occurred_at_us) {
    differences.push_back(absl::StrCat("occurred_at ", FormatLocalTimeUs(earlier.occurred_at_us),
                                       " ", where, ", ", FormatLocalTimeUs(row.occurred_at_us),
                                       " here"));
  }
  if (!row.refund) compare("category", earlier.category, row.category);
  return absl::StrJoin(differences, "; ");
}

absl::Status ConflictStatus(size_t line_number, const PurchaseFacts& row, const std::string& where,
                            const std::string& differences) {
  return absl::AlreadyExistsError(absl::StrCat(
      "line ", line_number, ": conflict: purchase_id ", text::Quoted(row.id),
      row.refund ? " (a refund)" : "", " is ", where, " with other content: ", differences));
}

FileRepeats FindFileRepeats(absl::Span<const PurchaseRow> rows) {
  FileRepeats repeats;
  // By (is a refund, id): the first row's index.
  absl::flat_hash_map<std::pair<bool, std::string>, size_t> first_of;
  for (size_t i = 0; i < rows.size(); ++i) {
    const PurchaseRow& row = rows[i];
    auto [first, inserted] =
        first_of.try_emplace(std::make_pair(!row.refund_of.empty(), row.purchase_id), i);
    if (inserted) {
      repeats.first_rows.push_back(i);
      continue;
    }
    const PurchaseRow& earlier = rows[first->second];
    const std::string differences = Differences(FactsOfRow(earlier), FactsOfRow(row), "there");
    if (differences.empty()) {
      repeats.duplicate_rows.push_back(i);
    } else {
      repeats.conflicts.emplace_back(
          i, ConflictStatus(row.line_number, FactsOfRow(row),
                            absl::StrCat("on line ", earlier.line_number), differences));
    }
  }
  return repeats;
}

}  // namespace loyalty::cli
