// A seeded, deterministic year of a mall's member program, as commands.
//
// The same options give the same commands, in the same order, on every
// machine: the generator uses its own integer random numbers (no floating
// point, no std distributions, whose output differs between libraries).
#ifndef LOYALTY_DEMO_WORKLOAD_H_
#define LOYALTY_DEMO_WORKLOAD_H_

#include <cstdint>
#include <string>
#include <variant>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "loyalty/commands.h"

namespace loyalty::demo {

// The repository's data/calendar (the official mainland-China schedules),
// as the build knows it.
std::string DefaultCalendarDataDir();

struct WorkloadOptions {
  int members = 1000;
  int days = 365;
  int partners = 40;
  uint64_t seed = 20240101;
  // The first day, local (Asia/Shanghai) midnight, in microseconds since the
  // Unix epoch. Default: 2024-01-01T00:00+08:00.
  int64_t start_us = 1704038400LL * 1000000;
  // Where the official holiday schedules cn-YYYY.txt are (docs/calendar.md).
  // The workload starts by declaring those of every year it spans and of the
  // year after (a deadline counted at the end of December needs it), each
  // file that exists; the files are part of the input, so equal files give
  // equal commands. Empty: no calendar (every complaint deadline is then
  // "due unknown").
  std::string calendar_data_dir = DefaultCalendarDataDir();
};

// The variant's alternatives keep their indexes: new kinds go at the end.
using Command = std::variant<EnrolMember, SetPolicy, RecordPurchase, RecordRefund, Redeem,
                             Adjust, GrantBirthdayBonuses, DeclareCalendarDays, FileComplaint,
                             ReplyToComplaint, StartInvestigation, ResolveComplaint,
                             NotifyCustomer, ConfirmResolution, RecordSurvey>;

// What the generated commands add up to, by kind.
struct WorkloadCounts {
  int64_t enrolments = 0;
  int64_t policies = 0;
  int64_t purchases = 0;
  int64_t refunds = 0;
  int64_t redemptions = 0;
  int64_t adjustments = 0;
  int64_t birthday_runs = 0;
  int64_t calendar_declarations = 0;
  // About one complaint per 150 purchases, against the purchase's partner.
  int64_t complaints = 0;
  // Replies, investigations, resolutions, notifications and confirmations.
  int64_t complaint_steps = 0;
  // Dissatisfied confirmations, each starting a new cycle.
  int64_t reopenings = 0;
  // Resolutions that grant goodwill points.
  int64_t goodwill_grants = 0;
  // Replies and notifications planned after their deadline.
  int64_t late_steps = 0;
  int64_t surveys = 0;
};

// Calls `emit` for every command, in business-time order, and stops at the
// first error it returns. `counts`, if given, receives the totals.
// NotFound when calendar_data_dir is set but is not a directory;
// InvalidArgument for a calendar file that does not parse.
absl::Status GenerateWorkload(const WorkloadOptions& options,
                              absl::FunctionRef<absl::Status(const Command&)> emit,
                              WorkloadCounts* counts = nullptr);

// The business time of a command.
int64_t OccurredAtUs(const Command& command);

}  // namespace loyalty::demo

#endif  // LOYALTY_DEMO_WORKLOAD_H_
