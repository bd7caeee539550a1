// Builders of the commands of include/loyalty/commands.h for tests: each
// fills what a valid command needs with the values most tests use, so that
// a test states only what it is about and changes the rest field by field.
#ifndef LOYALTY_TESTING_COMMANDS_H_
#define LOYALTY_TESTING_COMMANDS_H_

#include <cstdint>
#include <string>

#include "loyalty/commands.h"

namespace loyalty::testing {

// An enrolment without personal data, at the counter.
inline EnrolMember EnrolCommand(const std::string& member_id, int64_t at_us,
                                const std::string& actor_id = "counter") {
  EnrolMember command;
  command.member_id = member_id;
  command.occurred_at_us = at_us;
  command.actor_id = actor_id;
  return command;
}

// An enrolment whose personal data (plain: the engine seals it) holds a
// birth date only.
inline EnrolMember EnrolBornOnCommand(const std::string& member_id, int year, int month, int day,
                                      int64_t at_us, const std::string& actor_id = "counter") {
  EnrolMember command = EnrolCommand(member_id, at_us, actor_id);
  v1::LocalDate& birth = *command.personal.mutable_plain()->mutable_birth_date();
  birth.set_year(year);
  birth.set_month(month);
  birth.set_day(day);
  return command;
}

// A purchase of apparel at a store's till.
inline RecordPurchase PurchaseCommand(const std::string& purchase_id, const std::string& member_id,
                                      int64_t amount_fen, int64_t at_us,
                                      const std::string& partner_id = "store-7") {
  RecordPurchase command;
  command.purchase_id = purchase_id;
  command.member_id = member_id;
  command.partner_id = partner_id;
  command.amount_fen = amount_fen;
  command.category = "apparel";
  command.occurred_at_us = at_us;
  command.actor_id = "pos";
  return command;
}

// A refund at the till.
inline RecordRefund RefundCommand(const std::string& refund_id, const std::string& purchase_id,
                                  int64_t amount_fen, int64_t at_us) {
  RecordRefund command;
  command.refund_id = refund_id;
  command.purchase_id = purchase_id;
  command.amount_fen = amount_fen;
  command.occurred_at_us = at_us;
  command.actor_id = "pos";
  return command;
}

// A redemption of points for a voucher, in the app.
inline Redeem RedeemCommand(const std::string& redemption_id, const std::string& member_id,
                            int64_t points, int64_t at_us) {
  Redeem command;
  command.redemption_id = redemption_id;
  command.member_id = member_id;
  command.points = points;
  command.reward = "voucher";
  command.occurred_at_us = at_us;
  command.actor_id = "app";
  return command;
}

// An operator's adjustment.
inline Adjust AdjustCommand(const std::string& adjustment_id, const std::string& member_id,
                            AdjustmentDirection direction, int64_t points, int64_t at_us) {
  Adjust command;
  command.adjustment_id = adjustment_id;
  command.member_id = member_id;
  command.direction = direction;
  command.points = points;
  command.reason = "goodwill correction";
  command.occurred_at_us = at_us;
  command.actor_id = "operator-7";
  return command;
}

// A policy change.
inline SetPolicy SetPolicyCommand(const std::string& change_id, const v1::PolicySet& change,
                                  int64_t at_us, const std::string& actor_id = "admin") {
  SetPolicy command;
  command.policy_change_id = change_id;
  command.change = change;
  command.occurred_at_us = at_us;
  command.actor_id = actor_id;
  return command;
}

// A complaint about the service of a store, by phone at the desk.
inline FileComplaint FileComplaintCommand(const std::string& complaint_id,
                                          const std::string& member_id, int64_t at_us,
                                          const std::string& partner_id = "store-7",
                                          const std::string& category = "service") {
  FileComplaint command;
  command.complaint_id = complaint_id;
  command.member_id = member_id;
  command.partner_id = partner_id;
  command.category = category;
  command.channel = v1::CHANNEL_PHONE;
  command.occurred_at_us = at_us;
  command.actor_id = "desk";
  return command;
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTING_COMMANDS_H_
