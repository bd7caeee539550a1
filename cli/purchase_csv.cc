#include "cli/purchase_csv.h"

#include <array>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/as_of.h"
#include "cli/report_format.h"
#include "text/quoted.h"

namespace loyalty::cli {
namespace {

// One record of the file: its fields and the line it starts on.
struct CsvRecord {
  size_t line_number = 0;
  std::vector<std::string> fields;
};

// A value as it appears in a message: quoted, with control characters,
// invalid UTF-8 and quotes escaped, so that every message stays one line;
// ids and names in Chinese (UTF-8) are shown as they are written.
std::string Quoted(absl::string_view value) {
  std::string quoted = text::Quoted(value);
  if (value.size() > text::kMaxShownBytes) absl::StrAppend(&quoted, " (", value.size(), " bytes)");
  return quoted;
}

absl::Status LineError(size_t line_number, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line_number, ": ", message));
}

// Splits RFC 4180 text into records. Blank lines give no record. Errors
// name the line: a quoted field never closed, a character after a closing
// quote, a quote inside an unquoted field, a field over the limit.
absl::StatusOr<std::vector<CsvRecord>> SplitCsv(absl::string_view text) {
  std::vector<CsvRecord> records;
  size_t line_number = 1;
  size_t position = 0;
  while (position < text.size()) {
    // A blank line ("\n" or "\r\n") is skipped.
    if (text[position] == '\n') {
      ++position;
      ++line_number;
      continue;
    }
    if (text[position] == '\r' && position + 1 < text.size() && text[position + 1] == '\n') {
      position += 2;
      ++line_number;
      continue;
    }
    CsvRecord record;
    record.line_number = line_number;
    bool end_of_record = false;
    while (!end_of_record) {
      std::string field;
      if (position < text.size() && text[position] == '"') {
        const size_t opened_on = line_number;
        ++position;
        bool closed = false;
        while (position < text.size()) {
          const char c = text[position];
          if (c == '"') {
            if (position + 1 < text.size() && text[position + 1] == '"') {
              field.push_back('"');
              position += 2;
              continue;
            }
            ++position;
            closed = true;
            break;
          }
          if (c == '\n') ++line_number;
          field.push_back(c);
          ++position;
          if (field.size() > kMaxPurchaseCsvFieldBytes) {
            return LineError(opened_on, absl::StrCat("a field is longer than ",
                                                     kMaxPurchaseCsvFieldBytes, " bytes"));
          }
        }
        if (!closed) {
          return LineError(opened_on, "a quoted field is never closed (a missing \")");
        }
        if (position < text.size() && text[position] != ',' && text[position] != '\n' &&
            !(text[position] == '\r' && position + 1 < text.size() &&
              text[position + 1] == '\n')) {
          return LineError(line_number, absl::StrCat("unexpected ", Quoted(text.substr(position, 1)),
                                                     " after a closing quote"));
        }
      } else {
        while (position < text.size()) {
          const char c = text[position];
          if (c == ',' || c == '\n') break;
          if (c == '\r' && position + 1 < text.size() && text[position + 1] == '\n') break;
          if (c == '"') {
            return LineError(line_number,
                             "a quote inside an unquoted field (quote the whole field and "
                             "double the quote: \"a \"\"b\"\"\")");
          }
          field.push_back(c);
          ++position;
          if (field.size() > kMaxPurchaseCsvFieldBytes) {
            return LineError(line_number, absl::StrCat("a field is longer than ",
                                                       kMaxPurchaseCsvFieldBytes, " bytes"));
          }
        }
      }
      record.fields.push_back(std::move(field));
      if (position >= text.size()) {
        end_of_record = true;
      } else if (text[position] == ',') {
        ++position;
      } else {
        // "\n" or "\r\n".
        position += text[position] == '\r' ? 2 : 1;
        ++line_number;
        end_of_record = true;
      }
    }
    records.push_back(std::move(record));
  }
  return records;
}

enum Column { kPurchaseId, kMemberId, kStoreId, kAmount, kOccurredAt, kRefundOf, kCategory };
constexpr std::array<absl::string_view, 7> kColumnNames = {
    "purchase_id", "member_id", "store_id", "amount", "occurred_at", "refund_of", "category"};
constexpr size_t kRequiredColumns = 5;  // purchase_id .. occurred_at

// Where each known column is in the file; nullopt for an optional one absent.
using ColumnIndex = std::array<std::optional<size_t>, kColumnNames.size()>;

absl::StatusOr<ColumnIndex> ReadHeader(const CsvRecord& header) {
  ColumnIndex index;
  for (size_t i = 0; i < header.fields.size(); ++i) {
    const absl::string_view name = header.fields[i];
    size_t column = 0;
    while (column < kColumnNames.size() && kColumnNames[column] != name) ++column;
    if (column == kColumnNames.size()) {
      return LineError(header.line_number,
                       absl::StrCat("header: unknown column ", Quoted(name), " (columns: ",
                                    absl::StrJoin(kColumnNames, ", "), ")"));
    }
    if (index[column].has_value()) {
      return LineError(header.line_number,
                       absl::StrCat("header: column ", Quoted(name), " appears twice"));
    }
    index[column] = i;
  }
  for (size_t column = 0; column < kRequiredColumns; ++column) {
    if (!index[column].has_value()) {
      return LineError(header.line_number, absl::StrCat("header: the required column \"",
                                                        kColumnNames[column], "\" is missing"));
    }
  }
  return index;
}

absl::Status FieldError(size_t line_number, Column column, absl::string_view value,
                        absl::string_view problem) {
  return LineError(line_number, absl::StrCat("column ", kColumnNames[column], ": ",
                                              Quoted(value), " ", problem));
}

absl::StatusOr<PurchaseRow> ReadRow(const CsvRecord& record, const ColumnIndex& index,
                                    size_t header_width) {
  if (record.fields.size() != header_width) {
    return LineError(record.line_number,
                     absl::StrCat(record.fields.size(), " fields where the header has ",
                                  header_width));
  }
  auto field = [&](Column column) -> absl::string_view {
    return index[column].has_value() ? absl::string_view(record.fields[*index[column]]) : "";
  };
  PurchaseRow row;
  row.line_number = record.line_number;
  row.purchase_id = std::string(field(kPurchaseId));
  row.member_id = std::string(field(kMemberId));
  row.store_id = std::string(field(kStoreId));
  row.refund_of = std::string(field(kRefundOf));
  row.category = std::string(field(kCategory));
  if (row.purchase_id.empty()) {
    return FieldError(record.line_number, kPurchaseId, "", "is empty: every row needs an id");
  }
  // A refund is of the purchase it names; its member and store are that
  // purchase's, so they may be left empty.
  if (row.refund_of.empty()) {
    if (row.member_id.empty()) {
      return FieldError(record.line_number, kMemberId, "", "is empty: a purchase needs a member");
    }
    if (row.store_id.empty()) {
      return FieldError(record.line_number, kStoreId, "", "is empty: a purchase needs a store");
    }
  }
  absl::StatusOr<int64_t> amount_fen = ParseAmountYuanToFen(field(kAmount));
  if (!amount_fen.ok()) {
    return FieldError(record.line_number, kAmount, field(kAmount),
                      "is not an amount in CNY with at most two decimals (123.45)");
  }
  // Checked here rather than by the engine so that the message speaks the
  // file's unit (CNY), not the ledger's (fen).
  if (*amount_fen < kMinPurchaseCsvAmountFen || *amount_fen > kMaxPurchaseCsvAmountFen) {
    return LineError(record.line_number,
                     absl::StrCat("column amount: ", field(kAmount), " CNY is not in [",
                                  FormatFenAsYuan(kMinPurchaseCsvAmountFen), ", ",
                                  FormatFenAsYuan(kMaxPurchaseCsvAmountFen), "]"));
  }
  row.amount_fen = *amount_fen;
  const absl::string_view time = field(kOccurredAt);
  // A bare date, which --as-of takes, is not the instant of a purchase.
  absl::StatusOr<int64_t> occurred_at_us =
      time.size() > 10 ? ParseAsOfTimeUs(time)
                       : absl::InvalidArgumentError("a date without a time");
  if (!occurred_at_us.ok()) {
    return FieldError(record.line_number, kOccurredAt, time,
                      "is not a time in RFC 3339 with an offset (2024-01-02T10:00:00+08:00)");
  }
  row.occurred_at_us = *occurred_at_us;
  return row;
}

}  // namespace

absl::StatusOr<int64_t> ParseAmountYuanToFen(absl::string_view text) {
  const size_t point = text.find('.');
  const absl::string_view whole = text.substr(0, point);
  const absl::string_view decimals =
      point == absl::string_view::npos ? absl::string_view() : text.substr(point + 1);
  auto all_digits = [](absl::string_view digits) {
    for (char c : digits) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    }
    return true;
  };
  const bool valid = !whole.empty() && whole.size() <= kMaxAmountYuanDigits &&
                     all_digits(whole) && all_digits(decimals) &&
                     (point == absl::string_view::npos || (!decimals.empty() && decimals.size() <= 2));
  if (!valid) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quoted(text), " is not an amount in CNY with at most two decimals"));
  }
  // At most 12 digits before and 2 after: far inside int64.
  int64_t fen = 0;
  for (char c : whole) fen = fen * 10 + (c - '0');
  fen *= 100;
  if (!decimals.empty()) fen += (decimals[0] - '0') * 10;
  if (decimals.size() == 2) fen += decimals[1] - '0';
  return fen;
}

absl::StatusOr<PurchaseCsv> ParsePurchaseCsvRows(absl::string_view text) {
  constexpr absl::string_view kByteOrderMark = "\xEF\xBB\xBF";
  if (text.substr(0, kByteOrderMark.size()) == kByteOrderMark) {
    text.remove_prefix(kByteOrderMark.size());
  }
  absl::StatusOr<std::vector<CsvRecord>> records = SplitCsv(text);
  if (!records.ok()) return records.status();
  if (records->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the file is empty: it needs a header line naming the columns (",
                     absl::StrJoin(kColumnNames, ","), ")"));
  }
  absl::StatusOr<ColumnIndex> index = ReadHeader(records->front());
  if (!index.ok()) return index.status();
  const size_t header_width = records->front().fields.size();
  PurchaseCsv parsed;
  for (size_t i = 1; i < records->size(); ++i) {
    absl::StatusOr<PurchaseRow> row = ReadRow((*records)[i], *index, header_width);
    if (row.ok()) {
      parsed.rows.push_back(std::move(*row));
    } else {
      parsed.rejected.push_back(RejectedRow{(*records)[i].line_number, row.status()});
    }
  }
  return parsed;
}

absl::StatusOr<std::vector<PurchaseRow>> ParsePurchaseCsv(absl::string_view text) {
  absl::StatusOr<PurchaseCsv> parsed = ParsePurchaseCsvRows(text);
  if (!parsed.ok()) return parsed.status();
  if (!parsed->rejected.empty()) return parsed->rejected.front().status;
  return std::move(parsed->rows);
}

}  // namespace loyalty::cli
