// A small service that embeds the engine: it records the purchases of a CSV
// file, enrolling members it has not seen, then answers balance queries on
// stdin/stdout until `quit` or the end of input.
//
//   usage: loyalty_service_example [--now RFC3339] LEDGER_DIR PURCHASES_CSV
//
// PURCHASES_CSV has one purchase a line, with an optional header line:
//   purchase_id,member_id,partner_id,amount_fen,occurred_at
//   P1,M1,store-7,12345,2024-03-01T10:00:00+08:00
// Loading the same file again records nothing twice: purchase ids are
// recorded once, so a purchase already recorded is counted and skipped.
//
// Queries, one a line:
//   balance MEMBER   ->  MEMBER available_points=N debt_points=N tier=NAME
//   metrics          ->  the engine's metrics in the Prometheus text format,
//                        then a line `# EOF`
//   quit
// An error answers `error: CODE: message` and the service goes on.
//
// --now fixes the engine's clock (ledger time and what "now" means for
// expiry) at one instant, for reproducible runs; the default is the system
// clock. docs/embedding.md walks through this file.
#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "loyalty/clock.h"
#include "loyalty/commands.h"
#include "loyalty/engine.h"
#include "loyalty/metrics.h"
#include "loyalty/views.h"

namespace {

constexpr char kActorId[] = "service-example";

struct PurchaseRow {
  std::string purchase_id;
  std::string member_id;
  std::string partner_id;
  int64_t amount_fen = 0;
  int64_t occurred_at_us = 0;
};

absl::StatusOr<int64_t> ParseInstantUs(absl::string_view text) {
  absl::Time instant;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &instant, &error) ||
      instant == absl::InfinitePast() || instant == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not an RFC 3339 time ", error));
  }
  return absl::ToUnixMicros(instant);
}

absl::StatusOr<PurchaseRow> ParseRow(absl::string_view line) {
  std::vector<std::string> fields = absl::StrSplit(line, ',');
  if (fields.size() != 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected 5 fields, found ", fields.size()));
  }
  for (std::string& field : fields) absl::StripAsciiWhitespace(&field);
  PurchaseRow row;
  row.purchase_id = fields[0];
  row.member_id = fields[1];
  row.partner_id = fields[2];
  if (!absl::SimpleAtoi(fields[3], &row.amount_fen)) {
    return absl::InvalidArgumentError(
        absl::StrCat("amount_fen: \"", fields[3], "\" is not an integer"));
  }
  absl::StatusOr<int64_t> occurred_at_us = ParseInstantUs(fields[4]);
  if (!occurred_at_us.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("occurred_at: ", occurred_at_us.status().message()));
  }
  row.occurred_at_us = *occurred_at_us;
  return row;
}

struct LoadCounts {
  int64_t purchases_recorded = 0;
  int64_t purchases_already_recorded = 0;
  int64_t members_enrolled = 0;
};

// [START enrol_on_first_sight]
// Enrols the member unless already enrolled (now or by an earlier run).
absl::Status EnsureEnrolled(loyalty::Engine& engine, const PurchaseRow& row,
                            LoadCounts& counts) {
  loyalty::EnrolMember enrol;
  enrol.member_id = row.member_id;
  enrol.channel = loyalty::v1::CHANNEL_COUNTER;
  enrol.occurred_at_us = row.occurred_at_us;
  enrol.actor_id = kActorId;
  absl::StatusOr<loyalty::CommandResult> enrolled = engine.Execute(enrol);
  if (enrolled.ok()) {
    ++counts.members_enrolled;
    return absl::OkStatus();
  }
  if (absl::IsAlreadyExists(enrolled.status())) return absl::OkStatus();
  return enrolled.status();
}
// [END enrol_on_first_sight]

// [START record_purchase]
absl::Status Record(loyalty::Engine& engine, const PurchaseRow& row, LoadCounts& counts) {
  loyalty::RecordPurchase purchase;
  purchase.purchase_id = row.purchase_id;
  purchase.member_id = row.member_id;
  purchase.partner_id = row.partner_id;
  purchase.amount_fen = row.amount_fen;
  purchase.occurred_at_us = row.occurred_at_us;
  purchase.actor_id = kActorId;
  absl::StatusOr<loyalty::CommandResult> recorded = engine.Execute(purchase);
  if (recorded.ok()) {
    ++counts.purchases_recorded;
    return absl::OkStatus();
  }
  // Ids are the caller's: a purchase id already recorded is this file
  // loaded again (or a retry), not an error.
  if (absl::IsAlreadyExists(recorded.status())) {
    ++counts.purchases_already_recorded;
    return absl::OkStatus();
  }
  return recorded.status();
}
// [END record_purchase]

absl::StatusOr<LoadCounts> LoadPurchases(loyalty::Engine& engine, const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be opened"));
  LoadCounts counts;
  std::string line;
  for (int64_t line_number = 1; std::getline(in, line); ++line_number) {
    const absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || absl::StartsWith(text, "#")) continue;
    if (line_number == 1 && absl::StartsWith(text, "purchase_id,")) continue;
    absl::StatusOr<PurchaseRow> row = ParseRow(text);
    absl::Status status = row.status();
    if (status.ok()) status = EnsureEnrolled(engine, *row, counts);
    if (status.ok()) status = Record(engine, *row, counts);
    if (!status.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat(path, ":", line_number, ": ", status.message()));
    }
  }
  return counts;
}

// [START balance_query]
std::string Balance(const loyalty::Engine& engine, const std::string& member_id) {
  absl::StatusOr<loyalty::MemberView> member = engine.Member(member_id, loyalty::AsOf::Now());
  if (!member.ok()) {
    return absl::StrCat("error: ", absl::StatusCodeToString(member.status().code()), ": ",
                        member.status().message());
  }
  // "TIER_SILVER" -> "silver".
  const std::string tier =
      absl::AsciiStrToLower(absl::StripPrefix(loyalty::v1::Tier_Name(member->tier), "TIER_"));
  return absl::StrCat(member_id, " available_points=", member->available_points,
                      " debt_points=", member->debt_points, " tier=", tier);
}
// [END balance_query]

void Serve(const loyalty::Engine& engine, std::istream& in, std::ostream& out) {
  std::string line;
  while (std::getline(in, line)) {
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (words.empty()) continue;
    if (words[0] == "quit" && words.size() == 1) return;
    if (words[0] == "balance" && words.size() == 2) {
      out << Balance(engine, std::string(words[1])) << std::endl;
    } else if (words[0] == "metrics" && words.size() == 1) {
      // [START metrics_request]
      // What a /metrics endpoint serves: cheap, never waits for a command.
      out << loyalty::ToPrometheusText(engine.Metrics()) << "# EOF" << std::endl;
      // [END metrics_request]
    } else {
      out << "error: usage: balance MEMBER | metrics | quit" << std::endl;
    }
  }
}

int Usage() {
  std::cerr << "usage: loyalty_service_example [--now RFC3339] LEDGER_DIR PURCHASES_CSV\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<int64_t> now_us;
  std::vector<std::string> arguments;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view argument = argv[i];
    if (argument == "--now" && i + 1 < argc) {
      absl::StatusOr<int64_t> parsed = ParseInstantUs(argv[++i]);
      if (!parsed.ok()) {
        std::cerr << "loyalty_service_example: --now: " << parsed.status().message() << "\n";
        return 2;
      }
      now_us = *parsed;
    } else if (absl::StartsWith(argument, "-")) {
      return Usage();
    } else {
      arguments.emplace_back(argument);
    }
  }
  if (arguments.size() != 2) return Usage();

  // [START open]
  loyalty::ManualClock fixed_clock(now_us.value_or(0));
  loyalty::EngineOptions options;
  options.ledger.sync = true;  // an acknowledged purchase survives power loss
  if (now_us.has_value()) options.ledger.clock = &fixed_clock;
  absl::StatusOr<std::unique_ptr<loyalty::Engine>> engine =
      loyalty::Engine::Open(arguments[0], options);
  if (!engine.ok()) {
    std::cerr << "loyalty_service_example: " << engine.status() << "\n";
    return 1;
  }
  // [END open]

  absl::StatusOr<LoadCounts> counts = LoadPurchases(**engine, arguments[1]);
  if (!counts.ok()) {
    std::cerr << "loyalty_service_example: " << counts.status() << "\n";
    return 1;
  }
  std::cerr << "loaded " << arguments[1] << ": " << counts->purchases_recorded
            << " purchases recorded, " << counts->purchases_already_recorded
            << " already recorded, " << counts->members_enrolled << " members enrolled\n";

  Serve(**engine, std::cin, std::cout);
  return 0;
}
