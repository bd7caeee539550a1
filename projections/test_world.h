// Test support: an in-memory log and the projections kept in step with it,
// fed through the deciders with the commands of testing/commands.h. Not
// part of the library.
#ifndef LOYALTY_PROJECTIONS_TEST_WORLD_H_
#define LOYALTY_PROJECTIONS_TEST_WORLD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "projections/balances.h"
#include "projections/calendar.h"
#include "projections/complaint_deciders.h"
#include "projections/complaints.h"
#include "projections/deciders.h"
#include "projections/partners.h"
#include "projections/policy_projection.h"
#include "projections/replay.h"
#include "projections/tiers.h"
#include "testing/official_calendar.h"

namespace loyalty::projections::testing {

// The instant of a local (UTC+8) wall-clock time.
int64_t At(int64_t year, int month, int day, int hour = 12, int minute = 0, int second = 0);

// The last microsecond of a local day: the form every SLA deadline takes.
int64_t EndOf(int64_t year, int month, int day);

// An envelope as a ledger would store it, with no event set yet: for events
// the deciders never write.
v1::Envelope RawEnvelope(uint64_t sequence, const std::string& stream_id, int64_t at_us);

// The rule names of the anomalies `projection` keeps, in log order.
std::vector<std::string> AnomalyRules(const Projection& projection);

// The canonical state of `projection` (whose state message is `State`)
// without its header and anomalies: what the events made of its data, to
// check that an event which breaks a rule changed nothing else.
template <typename State>
std::string DataOf(const Projection& projection) {
  State state;
  EXPECT_TRUE(state.ParseFromString(projection.CanonicalState()));
  state.clear_header();
  state.clear_anomalies();
  return SerializeDeterministic(state);
}

using ::loyalty::testing::OfficialCalendarText;

class TestWorld {
 public:
  PolicyProjection policies;
  BalanceProjection balances;
  TierProjection tiers;
  PartnerProjection partners;
  CalendarProjection calendar;
  ComplaintProjection complaints;
  std::vector<v1::Envelope> log;

  DecisionState state() const { return {policies.policy(), balances, tiers}; }
  ComplaintDecisionState complaint_state() const { return {balances, complaints}; }
  std::vector<Projection*> projections() {
    return {&policies, &balances, &tiers, &partners, &calendar, &complaints};
  }

  // Appends the decided events as a ledger would (assigning sequences) and
  // applies them to every projection; returns the decider's error, or the
  // first error of an Apply.
  absl::Status Commit(const absl::StatusOr<Events>& decided);
  // Appends `envelope` as it is (an event no decider would write), with the
  // next sequence, and applies it to every projection.
  absl::Status CommitRaw(v1::Envelope envelope);

  // Moves every projection to `instant_us`.
  void AdvanceTo(int64_t instant_us);

  // Shorthands that build a command and commit it.
  absl::Status Enrol(const std::string& member_id, int64_t at_us);
  absl::Status Purchase(const std::string& purchase_id, const std::string& member_id,
                        int64_t amount_fen, int64_t at_us, const std::string& partner_id = "P1");
  absl::Status Refund(const std::string& refund_id, const std::string& purchase_id,
                      int64_t amount_fen, int64_t at_us);
  absl::Status RedeemPoints(const std::string& redemption_id, const std::string& member_id,
                            int64_t points, int64_t at_us);
  absl::Status AdjustPoints(const std::string& adjustment_id, const std::string& member_id,
                            AdjustmentDirection direction, int64_t points, int64_t at_us);
  absl::Status ChangePolicy(const std::string& change_id, const v1::PolicySet& change,
                            int64_t at_us);
  // Declares the days of calendar file text (docs/calendar.md).
  absl::Status DeclareCalendar(const std::string& file_text, int64_t at_us);
  // Declares the shipped schedule data/calendar/cn-<year>.txt.
  absl::Status LoadOfficialCalendar(int year, int64_t at_us);

  // The member's balance (sum of lots - debt); -1 if unknown.
  int64_t Balance(const std::string& member_id) const;
};

}  // namespace loyalty::projections::testing

#endif  // LOYALTY_PROJECTIONS_TEST_WORLD_H_
