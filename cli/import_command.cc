// loyalty import purchases: a mall's purchase history from CSV into the
// engine (docs/import.md).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/commands.h"
#include "cli/ledger_io.h"
#include "cli/purchase_csv.h"
#include "loyalty/engine.h"
#include "loyalty/limits.h"

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

absl::Status RowStatus(size_t line_number, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat("line ", line_number, ": ", status.message()));
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

  absl::StatusOr<std::unique_ptr<Engine>> engine = OpenEngine(context.global.db_directory);
  if (!engine.ok()) return ReportError(engine.status());
  std::vector<PurchaseOrRefund> commands;
  commands.reserve(parsed->rows.size());
  for (const PurchaseRow& row : parsed->rows) commands.push_back(ToCommand(row, actor_id));

  if (all_or_nothing) {
    absl::StatusOr<std::vector<absl::Status>> checked = (*engine)->CheckInOrder(commands);
    if (!checked.ok()) return ReportError(checked.status());
    size_t invalid = 0;
    for (size_t i = 0; i < checked->size(); ++i) {
      const absl::Status& status = (*checked)[i];
      if (status.ok() || status.code() == absl::StatusCode::kAlreadyExists) continue;
      ++invalid;
      rejections.push_back(
          {parsed->rows[i].line_number, RowStatus(parsed->rows[i].line_number, status)});
    }
    if (invalid > 0) {
      ReportRejections(std::move(rejections));
      return ReportError(absl::InvalidArgumentError(absl::StrCat(
          "nothing imported: ", invalid, " of ", rows, " rows are rejected by the ledger")));
    }
  }

  uint64_t imported = 0;
  uint64_t duplicates = 0;
  for (size_t i = 0; i < commands.size(); ++i) {
    const size_t line_number = parsed->rows[i].line_number;
    absl::StatusOr<CommandResult> result =
        std::visit([&](const auto& command) { return (*engine)->Execute(command); }, commands[i]);
    if (result.ok()) {
      // A deduplicated append is a retry of rows recorded before.
      ++(result->deduplicated ? duplicates : imported);
      continue;
    }
    if (result.status().code() == absl::StatusCode::kAlreadyExists) {
      ++duplicates;
      continue;
    }
    if (IsRowError(result.status()) && !all_or_nothing) {
      rejections.push_back({line_number, RowStatus(line_number, result.status())});
      continue;
    }
    // The ledger failed (or, with --all-or-nothing, changed since the check):
    // what was imported stays, and importing the file again resumes.
    ReportRejections(std::move(rejections));
    ReportError(RowStatus(line_number, result.status()));
    Print(absl::StrCat("stopped at line ", line_number, ": imported ", imported,
                       ", duplicates skipped ", duplicates, "; importing the file again resumes\n"));
    return ExitCodeFor(result.status());
  }
  const size_t rejected = rejections.size();
  ReportRejections(std::move(rejections));
  Print(absl::StrCat("imported ", imported, ", rejected ", rejected, ", duplicates skipped ",
                     duplicates, " (", rows, " rows)\n"));
  return rejected == 0 ? kExitOk : kExitUsage;
}

}  // namespace loyalty::cli
