// Deciders: pure functions from (state, command) to the events to append.
// The commands are the public ones of loyalty/commands.h.
//
// A decider checks a command against the projections' current state and
// returns the envelopes that carry it out, in the order they must be
// appended (one atomic batch), with stream_id, idempotency_key,
// occurred_at_us, actor_id and event filled and every ledger-assigned field
// unset. It changes nothing: the caller appends the batch, then applies the
// appended events to the projections before deciding the next command. On a
// rejected command it returns an error naming the field and the value, and
// no event.
//
// Streams: "member-<member_id>" for everything about a member (enrolment,
// erasure, purchases, refunds, points); "policy" for PolicySet.
// Idempotency keys derive from the caller's ids, so a retried command that
// the ledger already holds is deduplicated by the ledger:
//   enrol/<member_id>            erase/<member_id>
//   purchase/<purchase_id>       purchase/<purchase_id>/points
//   refund/<refund_id>           refund/<refund_id>/clawback
//   redemption/<redemption_id>   adjust/<adjustment_id>
//   birthday/<member_id>/<year>  policy/<policy_change_id>
// A retry decided after its events were applied meets the state instead and
// gets AlreadyExists (a purchase, refund, redemption or enrolment id that is
// already recorded); the caller may treat that as success.
//
// Common errors of every decider:
//  InvalidArgument: occurred_at_us <= 0; an actor_id that is empty or longer
//    than kMaxActorIdBytes; an id that is empty, longer than kMaxIdBytes or
//    holds a NUL byte; an amount or point count out of its limits
//    (loyalty/limits.h).
//  NotFound: the member (or purchase) is not known.
#ifndef LOYALTY_PROJECTIONS_DECIDERS_H_
#define LOYALTY_PROJECTIONS_DECIDERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "loyalty/commands.h"
#include "loyalty/v1/envelope.pb.h"
#include "projections/balances.h"
#include "projections/policy.h"
#include "projections/tiers.h"

namespace loyalty::projections {

using Events = std::vector<v1::Envelope>;

// The state the deciders read. Not owned. The three must have applied the
// same prefix of the log.
struct DecisionState {
  const Policy& policy;  // e.g. PolicyProjection::policy()
  const BalanceProjection& balances;
  const TierProjection& tiers;
};

// Enrols a new member. Emits MemberEnrolled.
// AlreadyExists if the member id is enrolled.
using EnrolMember = ::loyalty::EnrolMember;
absl::StatusOr<Events> DecideEnrolMember(const DecisionState& state, const EnrolMember& command);

// Records that a member's personal data is erased. Emits MemberErased.
// InvalidArgument for an empty reason; FailedPrecondition if already erased.
using EraseMember = ::loyalty::EraseMember;
absl::StatusOr<Events> DecideEraseMember(const DecisionState& state, const EraseMember& command);

// Records a purchase and the points it earns: PurchaseRecorded, then
// PointsGranted (reason PURCHASE) of
//   floor(floor(amount_fen / fen_per_point) * multiplier_bp / 10000)
// with the multiplier of the tier in force before the purchase, at
// max(occurred_at, the member's now) (TierProjection::TierInForceAt); the
// grant is left out when it is 0.
// FailedPrecondition for an erased member; AlreadyExists for a purchase id
// already recorded; InvalidArgument for amount_fen <= 0 or over
// kMaxAmountFen, an empty partner_id, or a category over kMaxNoteBytes.
using RecordPurchase = ::loyalty::RecordPurchase;
absl::StatusOr<Events> DecideRecordPurchase(const DecisionState& state,
                                            const RecordPurchase& command);

// Refunds part or all of a purchase: RefundRecorded, then PointsDebited
// (reason CLAWBACK) of ClawbackTotal(P, R + amount, A) minus what was
// already clawed back, when that is above 0. Refunds of erased members are
// accepted (the money still goes back).
// NotFound for an unknown purchase; AlreadyExists for a refund id already
// recorded on it; FailedPrecondition when amount_fen exceeds what is left of
// the purchase (the message names purchase, amount and remaining).
using RecordRefund = ::loyalty::RecordRefund;
absl::StatusOr<Events> DecideRecordRefund(const DecisionState& state, const RecordRefund& command);

// Redeems points for a reward. Emits PointsRedeemed.
// FailedPrecondition for an erased member, or when `points` exceeds the
// balance at max(occurred_at, the member's now) (lots expiring before then
// left out; any debt makes the balance negative; other members' events play
// no part) — the message names requested and available;
// AlreadyExists for a redemption id already recorded; InvalidArgument for
// a reward over kMaxNoteBytes.
using Redeem = ::loyalty::Redeem;
absl::StatusOr<Events> DecideRedeem(const DecisionState& state, const Redeem& command);

using AdjustmentDirection = ::loyalty::AdjustmentDirection;

// A manual correction by an operator (actor_id) with a reason: PointsGranted
// or PointsDebited, reason ADJUSTMENT, note = reason. A debit beyond the
// balance becomes debt.
// InvalidArgument for an empty reason or one over kMaxNoteBytes.
using Adjust = ::loyalty::Adjust;
absl::StatusOr<Events> DecideAdjust(const DecisionState& state, const Adjust& command);

// The birth dates the birthday job reads, member id -> date. Supplied by the
// caller from the (encrypted) personal data: the balance state never holds
// them.
using BirthDates = absl::flat_hash_map<std::string, v1::LocalDate>;

// The birthday job for the local day D of occurred_at_us. A member's bonus
// of year Y falls due on the last day of their birth month in Y
// (BirthdayBonusDueDay), so that no grant's date, position or recorded time
// tells more of the birthday than its month. The run on D appends one
// PointsGranted (reason BIRTHDAY, birthday_year Y, the policy's bonus in
// force at D) for every member of `birth_dates` and every year Y of
// BirthdayYearsOpen(member, D) whose bonus is due on or before D: the
// year of D, and the year before (a December bonus is still granted by a
// run in January when no run came between 31 December and the year end).
// In member id order, then year. Erased members are skipped. Running it
// again grants nothing more: the key is "birthday/<member_id>/<Y>".
// The result may be empty, and may be longer than one ledger batch: each
// grant is independent and may be appended in any grouping.
// NotFound for a member of `birth_dates` never enrolled; InvalidArgument for
// a birth date that is not a calendar date.
using GrantBirthdayBonuses = ::loyalty::GrantBirthdayBonuses;
absl::StatusOr<Events> DecideBirthdayBonuses(const DecisionState& state,
                                             const GrantBirthdayBonuses& command,
                                             const BirthDates& birth_dates);

// The sequences of the birthday bonuses granted on the local day `day` (of
// its year or the year before), in ascending order: what the birthday job
// for that day appended, whichever run appended it. A rerun for the same
// day appends nothing and answers with these, the first run's positions.
std::vector<uint64_t> BirthdayGrantsOn(const BalanceProjection& balances, absl::CivilDay day);

// Changes a policy from occurred_at on. Emits PolicySet on stream "policy".
// InvalidArgument when no policy is set, it sets no non-zero value, or the
// policy it leads to is invalid (Policy::CheckChange).
using SetPolicy = ::loyalty::SetPolicy;
absl::StatusOr<Events> DecideSetPolicy(const DecisionState& state, const SetPolicy& command);

// The day the birthday bonus of `year` falls due for a member born on
// `birth_date`: the last day of the birth month in `year` (28 or 29
// February for a birthday in February, 29 February included). It is on or
// after the birthday, and tells no more than the month. InvalidArgument if
// `birth_date` is not a date.
absl::StatusOr<absl::CivilDay> BirthdayBonusDueDay(const v1::LocalDate& birth_date, int64_t year);

// The years whose birthday bonus a run on the local day `today` may still
// grant the member, ascending: the year of `today` and the year before,
// less those granted already and those that ended before the member
// enrolled. None for an erased member. Whether a year's bonus is due
// depends on the birth month (BirthdayBonusDueDay).
std::vector<int32_t> BirthdayYearsOpen(const MemberAccount& account, absl::CivilDay today);

// "member-<member_id>".
std::string MemberStreamId(absl::string_view member_id);
// The member whose own stream `stream_id` is (the inverse of
// MemberStreamId); empty for any other stream.
absl::string_view MemberIdOfStream(absl::string_view stream_id);

// "policy".
inline constexpr absl::string_view kPolicyStreamId = "policy";

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_DECIDERS_H_
