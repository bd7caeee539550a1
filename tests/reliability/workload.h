// A random mix of member commands for the crash campaign and the simulation:
// enrolments, purchases, partial refunds, redemptions and adjustments, all
// on the writer's own members, with ids that name the writer. Commands the
// deciders reject (a redemption beyond the balance, a refund beyond the
// purchase) are part of the mix: they must append nothing.
#ifndef LOYALTY_TESTS_RELIABILITY_WORKLOAD_H_
#define LOYALTY_TESTS_RELIABILITY_WORKLOAD_H_

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "loyalty/engine.h"

namespace loyalty::testing {

class Workload {
 public:
  // `prefix` makes the ids unique across writers and runs; business time
  // starts at `start_us` and moves on ten minutes per command.
  Workload(std::string prefix, int64_t start_us) : prefix_(std::move(prefix)), start_us_(start_us) {}

  struct Step {
    std::string id;  // a part of every idempotency key the command appends
    absl::StatusOr<CommandResult> result;
  };

  // Executes the next command, chosen by `random`.
  Step Next(Engine& engine, std::mt19937_64& random) {
    const uint64_t index = next_index_++;
    std::string id = absl::StrCat(prefix_, "-", index);
    const int64_t at_us = start_us_ + static_cast<int64_t>(index) * 600 * 1000000LL;
    const uint64_t choice = random() % 20;
    if (members_.empty() || choice == 0) {
      EnrolMember command;
      // No personal data: it would need the engine's master key, and the
      // campaigns are about the log and the points, not about encryption.
      command.member_id = id;
      command.occurred_at_us = at_us;
      command.actor_id = "counter";
      absl::StatusOr<CommandResult> result = engine.Execute(command);
      if (result.ok()) members_.push_back(id);
      return {std::move(id), std::move(result)};
    }
    const std::string& member = members_[random() % members_.size()];
    if (choice <= 11 || purchases_.empty()) {
      RecordPurchase command;
      command.purchase_id = id;
      command.member_id = member;
      command.partner_id = absl::StrCat("store-", random() % 8);
      command.amount_fen = 100 + static_cast<int64_t>(random() % 300000);
      command.category = choice % 2 == 0 ? "apparel" : "dining";
      command.occurred_at_us = at_us;
      command.actor_id = "pos";
      absl::StatusOr<CommandResult> result = engine.Execute(command);
      if (result.ok()) purchases_.push_back(id);
      return {std::move(id), std::move(result)};
    }
    if (choice <= 14) {
      RecordRefund command;
      command.refund_id = id;
      command.purchase_id = purchases_[random() % purchases_.size()];
      command.amount_fen = 100 + static_cast<int64_t>(random() % 50000);
      command.occurred_at_us = at_us;
      command.actor_id = "pos";
      return {std::move(id), engine.Execute(command)};
    }
    if (choice <= 17) {
      Redeem command;
      command.redemption_id = id;
      command.member_id = member;
      command.points = 1 + static_cast<int64_t>(random() % 2000);
      command.reward = "voucher";
      command.occurred_at_us = at_us;
      command.actor_id = "app";
      return {std::move(id), engine.Execute(command)};
    }
    Adjust command;
    command.adjustment_id = id;
    command.member_id = member;
    command.direction = choice == 18 ? AdjustmentDirection::kGrant : AdjustmentDirection::kDebit;
    command.points = 1 + static_cast<int64_t>(random() % 300);
    command.reason = "goodwill";
    command.occurred_at_us = at_us;
    command.actor_id = "operator-1";
    return {std::move(id), engine.Execute(command)};
  }

 private:
  const std::string prefix_;
  const int64_t start_us_;
  uint64_t next_index_ = 0;
  std::vector<std::string> members_;
  std::vector<std::string> purchases_;
};

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_RELIABILITY_WORKLOAD_H_
