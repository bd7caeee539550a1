#include "projections/test_world.h"

#include "gtest/gtest.h"
#include "projections/calendar_file.h"
#include "projections/local_time.h"
#include "testing/commands.h"

namespace loyalty::projections::testing {

using ::loyalty::testing::AdjustCommand;
using ::loyalty::testing::EnrolCommand;
using ::loyalty::testing::PurchaseCommand;
using ::loyalty::testing::RedeemCommand;
using ::loyalty::testing::RefundCommand;
using ::loyalty::testing::SetPolicyCommand;

int64_t At(int64_t year, int month, int day, int hour, int minute, int second) {
  return LocalInstantUs(absl::CivilSecond(year, month, day, hour, minute, second));
}

int64_t EndOf(int64_t year, int month, int day) {
  return EndOfLocalDayUs(absl::CivilDay(year, month, day));
}

v1::Envelope RawEnvelope(uint64_t sequence, const std::string& stream_id, int64_t at_us) {
  v1::Envelope envelope;
  envelope.set_sequence(sequence);
  envelope.set_stream_id(stream_id);
  envelope.set_occurred_at_us(at_us);
  envelope.set_actor_id("raw");
  envelope.set_schema_version(1);
  return envelope;
}

std::vector<std::string> AnomalyRules(const Projection& projection) {
  std::vector<std::string> rules;
  for (const Anomaly& anomaly : projection.anomalies().kept()) rules.push_back(anomaly.rule);
  return rules;
}

absl::Status TestWorld::CommitRaw(v1::Envelope envelope) {
  envelope.set_sequence(log.size() + 1);
  log.push_back(envelope);
  for (Projection* projection : projections()) {
    absl::Status status = projection->Apply(envelope);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status TestWorld::Commit(const absl::StatusOr<Events>& decided) {
  if (!decided.ok()) return decided.status();
  for (v1::Envelope envelope : *decided) {
    envelope.set_sequence(log.size() + 1);
    envelope.set_schema_version(1);
    log.push_back(envelope);
    for (Projection* projection : projections()) {
      absl::Status status = projection->Apply(envelope);
      if (!status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

void TestWorld::AdvanceTo(int64_t instant_us) {
  for (Projection* projection : projections()) projection->AdvanceTo(instant_us);
}

absl::Status TestWorld::Enrol(const std::string& member_id, int64_t at_us) {
  return Commit(DecideEnrolMember(state(), EnrolCommand(member_id, at_us)));
}

absl::Status TestWorld::Purchase(const std::string& purchase_id, const std::string& member_id,
                                 int64_t amount_fen, int64_t at_us, const std::string& partner_id) {
  return Commit(DecideRecordPurchase(
      state(), PurchaseCommand(purchase_id, member_id, amount_fen, at_us, partner_id)));
}

absl::Status TestWorld::Refund(const std::string& refund_id, const std::string& purchase_id,
                               int64_t amount_fen, int64_t at_us) {
  return Commit(
      DecideRecordRefund(state(), RefundCommand(refund_id, purchase_id, amount_fen, at_us)));
}

absl::Status TestWorld::RedeemPoints(const std::string& redemption_id, const std::string& member_id,
                                     int64_t points, int64_t at_us) {
  return Commit(DecideRedeem(state(), RedeemCommand(redemption_id, member_id, points, at_us)));
}

absl::Status TestWorld::AdjustPoints(const std::string& adjustment_id, const std::string& member_id,
                                     AdjustmentDirection direction, int64_t points, int64_t at_us) {
  return Commit(DecideAdjust(
      state(), AdjustCommand(adjustment_id, member_id, direction, points, at_us)));
}

absl::Status TestWorld::ChangePolicy(const std::string& change_id, const v1::PolicySet& change,
                                     int64_t at_us) {
  return Commit(DecideSetPolicy(state(), SetPolicyCommand(change_id, change, at_us)));
}

absl::Status TestWorld::DeclareCalendar(const std::string& file_text, int64_t at_us) {
  absl::StatusOr<v1::CalendarDaysDeclared> declaration = ParseCalendarFile(file_text);
  if (!declaration.ok()) return declaration.status();
  DeclareCalendarDays command;
  command.declaration = *declaration;
  command.occurred_at_us = at_us;
  command.actor_id = "calendar-loader";
  return Commit(DecideDeclareCalendarDays(calendar.calendar(), command));
}

absl::Status TestWorld::LoadOfficialCalendar(int year, int64_t at_us) {
  return DeclareCalendar(OfficialCalendarText(year), at_us);
}

int64_t TestWorld::Balance(const std::string& member_id) const {
  const MemberAccount* account = balances.FindMember(member_id);
  return account == nullptr ? -1 : account->balance_points();
}

}  // namespace loyalty::projections::testing
