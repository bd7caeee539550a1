// loyalty import purchases: a mall's purchase history from CSV into the
// engine (docs/import.md).
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/types/span.h"
#include "cli/command.h"
#include "cli/commands.h"
#include "cli/import_duplicates.h"
#include "cli/import_messages.h"
#include "cli/import_order.h"
#include "cli/import_progress.h"
#include "cli/ledger_io.h"
#include "cli/purchase_csv.h"
#include "loyalty/engine.h"
#include "loyalty/ledger.h"

namespace loyalty::cli {
namespace {

// A history file is read whole; past this it is not a mall's export but a
// mistake (and would not fit the memory the rows take).
constexpr size_t kMaxImportFileBytes = size_t{4} << 30;

absl::StatusOr<std::string> ReadImportFile(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::string content;
  char buffer[64 * 1024];
  size_t read = 0;
  while ((read = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    content.append(buffer, read);
    if (content.size() > kMaxImportFileBytes) {
      std::fclose(file);
      return absl::InvalidArgumentError(
          absl::StrCat(path, " is larger than ", kMaxImportFileBytes, " bytes"));
    }
  }
  const bool failed = std::ferror(file) != 0;
  const int error_number = errno;
  std::fclose(file);
  if (failed) {
    const std::string message =
        absl::StrCat("cannot read ", path, ": ", std::strerror(error_number));
    return error_number == EISDIR ? absl::InvalidArgumentError(message)
                                  : absl::UnavailableError(message);
  }
  return content;
}

PurchaseOrRefund ToCommand(const PurchaseRow& row, const std::string& actor_id) {
  if (!row.refund_of.empty()) {
    RecordRefund refund;
    refund.refund_id = row.purchase_id;
    refund.purchase_id = row.refund_of;
    refund.amount_fen = row.amount_fen;
    refund.occurred_at_us = row.occurred_at_us;
    refund.actor_id = actor_id;
    return refund;
  }
  RecordPurchase purchase;
  purchase.purchase_id = row.purchase_id;
  purchase.member_id = row.member_id;
  purchase.partner_id = row.store_id;
  purchase.amount_fen = row.amount_fen;
  purchase.category = row.category;
  purchase.occurred_at_us = row.occurred_at_us;
  purchase.actor_id = actor_id;
  return purchase;
}

// A rejection of the row's content (as opposed to the ledger failing):
// the row is reported and the import goes on.
bool IsRowError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return true;
    default:
      return false;
  }
}

struct Rejection {
  size_t line_number = 0;
  absl::Status status;
};

// "loyalty: line N: ..." for each, in line order, on standard error.
void ReportRejections(std::vector<Rejection> rejections) {
  std::stable_sort(rejections.begin(), rejections.end(),
                   [](const Rejection& a, const Rejection& b) {
                     return a.line_number < b.line_number;
                   });
  for (const Rejection& rejection : rejections) ReportError(rejection.status);
}

// The engine's rejection of a row, in the file's columns and units, with
// its line.
absl::Status RowStatus(const PurchaseRow& row, const absl::Status& status) {
  const absl::Status in_file_terms = InFileTerms(status, !row.refund_of.empty());
  return absl::Status(in_file_terms.code(),
                      absl::StrCat("line ", row.line_number, ": ", in_file_terms.message()));
}

// The purchases and refunds the ledger holds under the ids of the file. The
// engine only says that an id is recorded; to tell a retry from a conflict
// the recorded content is needed, so the first time a row's id turns out
// to be recorded the log is read once, keeping the events of the file's ids.
class RecordedRows {
 public:
  RecordedRows(const Ledger& ledger, absl::Span<const PurchaseRow> rows) : ledger_(ledger) {
    for (const PurchaseRow& row : rows) wanted_.insert(Key(FactsOfRow(row)));
  }

  // What the ledger recorded under the row's id; nullptr if nothing.
  absl::StatusOr<const PurchaseFacts*> Find(const PurchaseRow& row) {
    if (!loaded_) {
      absl::Status status =
          ledger_.Scan(1, ledger_.Head().sequence, [&](const v1::Envelope& envelope) {
            std::optional<PurchaseFacts> facts = FactsOfEvent(envelope);
            if (facts.has_value() && wanted_.contains(Key(*facts))) {
              std::pair<bool, std::string> key = Key(*facts);
              recorded_.try_emplace(std::move(key), std::move(*facts));
            }
            return absl::OkStatus();
          });
      if (!status.ok()) return status;
      loaded_ = true;
    }
    auto found = recorded_.find(Key(FactsOfRow(row)));
    return found == recorded_.end() ? nullptr : &found->second;
  }

 private:
  static std::pair<bool, std::string> Key(const PurchaseFacts& facts) {
    return {facts.refund, facts.id};
  }

  const Ledger& ledger_;
  bool loaded_ = false;
  absl::flat_hash_set<std::pair<bool, std::string>> wanted_;
  absl::flat_hash_map<std::pair<bool, std::string>, PurchaseFacts> recorded_;
};

// For a row whose id is recorded: OK when the recorded content is the
// row's (a retry, skipped as a duplicate), AlreadyExists naming what differs
// when it is not (a conflict).
absl::Status CompareWithRecorded(RecordedRows& recorded, const PurchaseRow& row) {
  absl::StatusOr<const PurchaseFacts*> found = recorded.Find(row);
  if (!found.ok()) return found.status();
  // The engine found the id; the log always holds its event.
  if (*found == nullptr) return absl::OkStatus();
  const PurchaseFacts facts = FactsOfRow(row);
  const std::string differences = Differences(**found, facts, "recorded");
  if (differences.empty()) return absl::OkStatus();
  return ConflictStatus(row.line_number, facts, "recorded", differences);
}

bool StandardErrorIsATerminal() { return isatty(STDERR_FILENO) == 1; }

void WriteToStandardError(absl::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

// What an import found, row by row, as it goes.
struct ImportTally {
  std::vector<Rejection> rejections;  // rows refused (by parsing or by the engine)
  std::vector<Rejection> conflicts;   // rows whose id was recorded with other content
  uint64_t imported = 0;
  uint64_t duplicates = 0;
  size_t rejected = 0;

  // Reports the rejections and then the conflicts, on standard error.
  void Report() {
    rejections.insert(rejections.end(), conflicts.begin(), conflicts.end());
    ReportRejections(std::move(rejections));
    rejections.clear();
  }
};

// The rows of the file, in the order they are imported, and their commands.
struct OrderedRows {
  std::vector<PurchaseRow> rows;
  std::vector<const PurchaseRow*> ordered;
  std::vector<PurchaseOrRefund> commands;
  size_t moved = 0;  // rows not already in business-time order
};

// The first row of each id (a later row with the same id is a duplicate, or
// a conflict if its content differs), in business-time order, so that the
// result does not depend on how the file happens to be sorted.
void OrderRows(std::vector<PurchaseRow> parsed_rows, const std::string& actor_id,
               ImportTally* tally, OrderedRows* out) {
  const FileRepeats repeats = FindFileRepeats(parsed_rows);
  tally->duplicates = repeats.duplicate_rows.size();
  for (const auto& [index, status] : repeats.conflicts) {
    tally->conflicts.push_back({parsed_rows[index].line_number, status});
  }
  out->rows.reserve(repeats.first_rows.size());
  for (size_t index : repeats.first_rows) out->rows.push_back(std::move(parsed_rows[index]));
  const ImportOrder order = BusinessTimeOrder(out->rows);
  out->moved = order.moved;
  out->ordered.reserve(order.indices.size());
  out->commands.reserve(order.indices.size());
  for (size_t index : order.indices) {
    out->ordered.push_back(&out->rows[index]);
    out->commands.push_back(ToCommand(out->rows[index], actor_id));
  }
}

// --all-or-nothing: checks every row against the ledger before importing
// any. OK when all would be imported (or are recorded already); otherwise
// the error to report, with the rows in `tally`.
absl::Status CheckEveryRow(const Engine& engine, const OrderedRows& rows,
                           RecordedRows& recorded, size_t row_count, ImportTally* tally) {
  absl::StatusOr<std::vector<absl::Status>> checked = engine.CheckInOrder(rows.commands);
  if (!checked.ok()) return checked.status();
  size_t invalid = 0;
  for (size_t i = 0; i < checked->size(); ++i) {
    const absl::Status& status = (*checked)[i];
    const PurchaseRow& row = *rows.ordered[i];
    if (status.ok()) continue;
    if (status.code() == absl::StatusCode::kAlreadyExists) {
      absl::Status compared = CompareWithRecorded(recorded, row);
      if (compared.ok()) continue;
      if (compared.code() != absl::StatusCode::kAlreadyExists) return compared;
      tally->conflicts.push_back({row.line_number, compared});
      continue;
    }
    ++invalid;
    tally->rejections.push_back({row.line_number, RowStatus(row, status)});
  }
  if (invalid == 0 && tally->conflicts.empty()) return absl::OkStatus();
  std::vector<std::string> reasons;
  if (invalid > 0) {
    reasons.push_back(absl::StrCat(invalid, " of ", row_count, " rows are rejected by the ledger"));
  }
  if (!tally->conflicts.empty()) {
    reasons.push_back(absl::StrCat(tally->conflicts.size(), " of ", row_count,
                                   " rows conflict with a row recorded or read before"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("nothing imported: ", absl::StrJoin(reasons, "; ")));
}

// Imports one row. OK when the row is imported, recorded already, or (without
// --all-or-nothing) refused and reported; otherwise the failure that stops
// the import.
absl::Status ImportRow(Engine& engine, const PurchaseOrRefund& command, const PurchaseRow& row,
                       RecordedRows& recorded, bool all_or_nothing, ImportTally* tally) {
  absl::StatusOr<CommandResult> result =
      std::visit([&](const auto& one) { return engine.Execute(one); }, command);
  if (result.ok()) {
    // A deduplicated append is a retry of rows recorded before.
    ++(result->deduplicated ? tally->duplicates : tally->imported);
    return absl::OkStatus();
  }
  if (result.status().code() == absl::StatusCode::kAlreadyExists) {
    absl::Status compared = CompareWithRecorded(recorded, row);
    if (compared.ok()) {
      ++tally->duplicates;
      return absl::OkStatus();
    }
    if (compared.code() != absl::StatusCode::kAlreadyExists) return compared;
    tally->conflicts.push_back({row.line_number, compared});
    return absl::OkStatus();
  }
  if (IsRowError(result.status()) && !all_or_nothing) {
    tally->rejections.push_back({row.line_number, RowStatus(row, result.status())});
    ++tally->rejected;
    return absl::OkStatus();
  }
  return result.status();
}

// Imports the rows in order, with progress on standard error, and reports
// what became of them; the exit code.
int ImportRows(Engine& engine, const OrderedRows& ordered, RecordedRows& recorded,
               bool all_or_nothing, size_t rows, ImportTally* tally_out) {
  ImportTally& tally = *tally_out;
  const size_t count = ordered.commands.size();
  ImportProgress progress(count, StandardErrorIsATerminal(), absl::Now, WriteToStandardError);
  for (size_t i = 0; i < count; ++i) {
    const PurchaseRow& row = *ordered.ordered[i];
    absl::Status failure =
        ImportRow(engine, ordered.commands[i], row, recorded, all_or_nothing, &tally);
    if (!failure.ok()) {
      // The ledger failed (or, with --all-or-nothing, changed since the
      // check): what was imported stays, and importing the file again
      // resumes.
      progress.Finish(i);
      tally.Report();
      ReportError(absl::Status(failure.code(),
                               absl::StrCat("line ", row.line_number, ": ", failure.message())));
      Print(absl::StrCat("stopped at line ", row.line_number, ": imported ", tally.imported,
                         ", duplicates skipped ", tally.duplicates,
                         "; importing the file again resumes\n"));
      return ExitCodeFor(failure);
    }
    progress.Update(i + 1);
  }
  progress.Finish(count);
  const size_t conflicted = tally.conflicts.size();
  tally.Report();
  if (ordered.moved > 0) {
    Print(absl::StrCat("reordered ", ordered.moved, " of ", count,
                       " rows by occurred_at (refunds after their purchases)\n"));
  }
  Print(absl::StrCat("imported ", tally.imported, ", rejected ", tally.rejected,
                     ", duplicates skipped ", tally.duplicates, ", conflicts ", conflicted, " (",
                     rows, " rows)\n"));
  return tally.rejected == 0 && conflicted == 0 ? kExitOk : kExitUsage;
}

int RunImport(CommandContext& context) {
  bool all_or_nothing = false;
  std::string actor_id = "import";
  FlagSet flags = context.NewFlagSet();
  flags.Bool("all-or-nothing",
             "import nothing unless every row is valid against the ledger (default: import "
             "the valid rows, report the others)",
             &all_or_nothing);
  flags.String("actor", "ID", "the actor recorded on every imported event (default: import)",
               &actor_id);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 2, 2, &positional)) return *done;
  if (positional[0] != "purchases") {
    return ReportError(absl::InvalidArgumentError(absl::StrCat(
        "import: unknown kind \"", positional[0], "\" (usage: import purchases FILE.csv)")));
  }
  const std::string& path = positional[1];

  absl::StatusOr<std::string> text = ReadImportFile(path);
  if (!text.ok()) return ReportError(text.status());
  absl::StatusOr<PurchaseCsv> parsed = ParsePurchaseCsvRows(*text);
  if (!parsed.ok()) {
    return ReportError(absl::Status(parsed.status().code(),
                                    absl::StrCat(path, ": ", parsed.status().message())));
  }
  text->clear();

  ImportTally tally;
  for (const RejectedRow& rejected : parsed->rejected) {
    tally.rejections.push_back({rejected.line_number, rejected.status});
  }
  tally.rejected = tally.rejections.size();
  const size_t rows = parsed->rows.size() + parsed->rejected.size();
  if (all_or_nothing && !tally.rejections.empty()) {
    tally.Report();
    return ReportError(absl::InvalidArgumentError(
        absl::StrCat("nothing imported: ", parsed->rejected.size(), " of ", rows,
                     " rows do not parse")));
  }
  OrderedRows ordered;
  OrderRows(std::move(parsed->rows), actor_id, &tally, &ordered);

  absl::StatusOr<std::unique_ptr<Engine>> engine = OpenEngine(context.global);
  if (!engine.ok()) return ReportError(engine.status());
  RecordedRows recorded((*engine)->ledger(), ordered.rows);
  if (all_or_nothing) {
    absl::Status checked = CheckEveryRow(**engine, ordered, recorded, rows, &tally);
    if (!checked.ok()) {
      tally.Report();
      return ReportError(checked);
    }
  }

  return ImportRows(**engine, ordered, recorded, all_or_nothing, rows, &tally);
}

}  // namespace loyalty::cli
