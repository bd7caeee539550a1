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

  std::vector<Rejection> rejections;
  for (const RejectedRow& rejected : parsed->rejected) {
    rejections.push_back({rejected.line_number, rejected.status});
  }
  const size_t rows = parsed->rows.size() + parsed->rejected.size();
  if (all_or_nothing && !rejections.empty()) {
    ReportRejections(std::move(rejections));
    return ReportError(absl::InvalidArgumentError(
        absl::StrCat("nothing imported: ", parsed->rejected.size(), " of ", rows,
                     " rows do not parse")));
  }

  // A row whose id is on an earlier line is not imported again: it is a
  // duplicate, or a conflict if its content differs.
  const FileRepeats repeats = FindFileRepeats(parsed->rows);
  uint64_t duplicates = repeats.duplicate_rows.size();
  std::vector<Rejection> conflicts;
  for (const auto& [index, status] : repeats.conflicts) {
    conflicts.push_back({parsed->rows[index].line_number, status});
  }
  std::vector<PurchaseRow> first_rows;
  first_rows.reserve(repeats.first_rows.size());
  for (size_t index : repeats.first_rows) first_rows.push_back(std::move(parsed->rows[index]));
  parsed->rows.clear();

  // Business-time order, so that the result does not depend on how the
  // file happens to be sorted.
  const ImportOrder order = BusinessTimeOrder(first_rows);
  std::vector<const PurchaseRow*> ordered_rows;
  std::vector<PurchaseOrRefund> commands;
  ordered_rows.reserve(order.indices.size());
  commands.reserve(order.indices.size());
  for (size_t index : order.indices) {
    ordered_rows.push_back(&first_rows[index]);
    commands.push_back(ToCommand(first_rows[index], actor_id));
  }

  absl::StatusOr<std::unique_ptr<Engine>> engine = OpenEngine(context.global);
  if (!engine.ok()) return ReportError(engine.status());
  RecordedRows recorded((*engine)->ledger(), first_rows);

  if (all_or_nothing) {
    absl::StatusOr<std::vector<absl::Status>> checked = (*engine)->CheckInOrder(commands);
    if (!checked.ok()) return ReportError(checked.status());
    size_t invalid = 0;
    for (size_t i = 0; i < checked->size(); ++i) {
      const absl::Status& status = (*checked)[i];
      const PurchaseRow& row = *ordered_rows[i];
      if (status.ok()) continue;
      if (status.code() == absl::StatusCode::kAlreadyExists) {
        absl::Status compared = CompareWithRecorded(recorded, row);
        if (compared.ok()) continue;
        if (compared.code() != absl::StatusCode::kAlreadyExists) return ReportError(compared);
        conflicts.push_back({row.line_number, compared});
        continue;
      }
      ++invalid;
      rejections.push_back({row.line_number, RowStatus(row, status)});
    }
    if (invalid > 0 || !conflicts.empty()) {
      std::vector<std::string> reasons;
      if (invalid > 0) {
        reasons.push_back(absl::StrCat(invalid, " of ", rows, " rows are rejected by the ledger"));
      }
      if (!conflicts.empty()) {
        reasons.push_back(absl::StrCat(conflicts.size(), " of ", rows,
                                       " rows conflict with a row recorded or read before"));
      }
      rejections.insert(rejections.end(), conflicts.begin(), conflicts.end());
      ReportRejections(std::move(rejections));
      return ReportError(absl::InvalidArgumentError(
          absl::StrCat("nothing imported: ", absl::StrJoin(reasons, "; "))));
    }
  }

  ImportProgress progress(commands.size(), StandardErrorIsATerminal(), absl::Now,
                          WriteToStandardError);
  uint64_t imported = 0;
  size_t rejected = rejections.size();
  for (size_t i = 0; i < commands.size(); ++i) {
    const PurchaseRow& row = *ordered_rows[i];
    absl::StatusOr<CommandResult> result =
        std::visit([&](const auto& command) { return (*engine)->Execute(command); }, commands[i]);
    absl::Status failure = result.status();
    if (result.ok()) {
      // A deduplicated append is a retry of rows recorded before.
      ++(result->deduplicated ? duplicates : imported);
    } else if (result.status().code() == absl::StatusCode::kAlreadyExists) {
      absl::Status compared = CompareWithRecorded(recorded, row);
      if (compared.ok()) {
        ++duplicates;
        failure = absl::OkStatus();
      } else if (compared.code() == absl::StatusCode::kAlreadyExists) {
        conflicts.push_back({row.line_number, compared});
        failure = absl::OkStatus();
      } else {
        failure = compared;
      }
    } else if (IsRowError(result.status()) && !all_or_nothing) {
      rejections.push_back({row.line_number, RowStatus(row, result.status())});
      ++rejected;
      failure = absl::OkStatus();
    }
    if (!failure.ok()) {
      // The ledger failed (or, with --all-or-nothing, changed since the
      // check): what was imported stays, and importing the file again
      // resumes.
      progress.Finish(i);
      rejections.insert(rejections.end(), conflicts.begin(), conflicts.end());
      ReportRejections(std::move(rejections));
      ReportError(absl::Status(failure.code(),
                               absl::StrCat("line ", row.line_number, ": ", failure.message())));
      Print(absl::StrCat("stopped at line ", row.line_number, ": imported ", imported,
                         ", duplicates skipped ", duplicates,
                         "; importing the file again resumes\n"));
      return ExitCodeFor(failure);
    }
    progress.Update(i + 1);
  }
  progress.Finish(commands.size());
  const size_t conflicted = conflicts.size();
  rejections.insert(rejections.end(), conflicts.begin(), conflicts.end());
  ReportRejections(std::move(rejections));
  if (order.moved > 0) {
    Print(absl::StrCat("reordered ", order.moved, " of ", commands.size(),
                       " rows by occurred_at (refunds after their purchases)\n"));
  }
  Print(absl::StrCat("imported ", imported, ", rejected ", rejected, ", duplicates skipped ",
                     duplicates, ", conflicts ", conflicted, " (", rows, " rows)\n"));
  return rejected == 0 && conflicted == 0 ? kExitOk : kExitUsage;
}

}  // namespace loyalty::cli
