// A seeded, deterministic year of a mall's member program, as commands.
//
// The same options give the same commands, in the same order, on every
// machine: the generator uses its own integer random numbers (no floating
// point, no std distributions, whose output differs between libraries).
#ifndef LOYALTY_DEMO_WORKLOAD_H_
#define LOYALTY_DEMO_WORKLOAD_H_

#include <cstdint>
#include <variant>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "loyalty/commands.h"

namespace loyalty::demo {

struct WorkloadOptions {
  int members = 1000;
  int days = 365;
  int partners = 40;
  uint64_t seed = 20240101;
  // The first day, local (Asia/Shanghai) midnight, in microseconds since the
  // Unix epoch. Default: 2024-01-01T00:00+08:00.
  int64_t start_us = 1704038400LL * 1000000;
};

using Command = std::variant<EnrolMember, SetPolicy, RecordPurchase, RecordRefund, Redeem,
                             Adjust, GrantBirthdayBonuses>;

// What the generated commands add up to, by kind.
struct WorkloadCounts {
  int64_t enrolments = 0;
  int64_t policies = 0;
  int64_t purchases = 0;
  int64_t refunds = 0;
  int64_t redemptions = 0;
  int64_t adjustments = 0;
  int64_t birthday_runs = 0;
};

// Calls `emit` for every command, in business-time order, and stops at the
// first error it returns. `counts`, if given, receives the totals.
absl::Status GenerateWorkload(const WorkloadOptions& options,
                              absl::FunctionRef<absl::Status(const Command&)> emit,
                              WorkloadCounts* counts = nullptr);

// The business time of a command.
int64_t OccurredAtUs(const Command& command);

}  // namespace loyalty::demo

#endif  // LOYALTY_DEMO_WORKLOAD_H_
