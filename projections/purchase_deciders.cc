// Deciders of purchases and refunds, with the points they earn and claw back.
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "projections/decider_support.h"
#include "projections/deciders.h"
#include "loyalty/limits.h"
#include "projections/points_math.h"

namespace loyalty::projections {
namespace {

absl::Status CheckPurchaseCommand(const DecisionState& state, const RecordPurchase& command) {
  absl::Status status = CheckOccurredAtAndActor(command.occurred_at_us, command.actor_id);
  if (status.ok()) status = CheckCommandId("purchase_id", command.purchase_id);
  if (status.ok()) status = CheckCommandId("partner_id", command.partner_id);
  if (status.ok()) status = CheckPositive("amount_fen", command.amount_fen, kMaxAmountFen);
  if (status.ok()) status = CheckOptionalNote("category", command.category);
  if (!status.ok()) return status;
  absl::StatusOr<const MemberAccount*> account = FindEnrolled(state.balances, command.member_id);
  if (!account.ok()) return account.status();
  status = CheckNotErased(command.member_id, **account);
  if (!status.ok()) return status;
  if (state.balances.FindPurchaseMember(command.purchase_id) != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrCat("purchase_id: ", Quoted(command.purchase_id), " is already recorded"));
  }
  return absl::OkStatus();
}

// The points the purchase earns, at the multiplier of the tier in force
// before it.
absl::StatusOr<int64_t> EarnedPoints(const DecisionState& state, const RecordPurchase& command) {
  absl::StatusOr<v1::Tier> tier =
      state.tiers.TierInForceAt(command.member_id, command.occurred_at_us);
  if (!tier.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the tier projection is behind the balances: ", tier.status().message()));
  }
  return PurchasePoints(command.amount_fen, state.policy.fen_per_point(),
                        state.policy.multiplier_bp(*tier));
}

v1::Envelope PurchaseEnvelope(const RecordPurchase& command) {
  v1::Envelope envelope =
      NewEnvelope(MemberStreamId(command.member_id), absl::StrCat("purchase/", command.purchase_id),
                  command.occurred_at_us, command.actor_id);
  v1::PurchaseRecorded& recorded = *envelope.mutable_event()->mutable_purchase_recorded();
  recorded.set_purchase_id(command.purchase_id);
  recorded.set_member_id(command.member_id);
  recorded.set_partner_id(command.partner_id);
  recorded.set_amount_fen(command.amount_fen);
  recorded.set_category(command.category);
  return envelope;
}

v1::Envelope EarnedPointsEnvelope(const RecordPurchase& command, int64_t points) {
  v1::Envelope envelope = NewEnvelope(MemberStreamId(command.member_id),
                                      absl::StrCat("purchase/", command.purchase_id, "/points"),
                                      command.occurred_at_us, command.actor_id);
  v1::PointsGranted& granted = *envelope.mutable_event()->mutable_points_granted();
  granted.set_member_id(command.member_id);
  granted.set_points(points);
  granted.set_reason(v1::GRANT_REASON_PURCHASE);
  granted.set_purchase_id(command.purchase_id);
  return envelope;
}

// The purchase a refund names, with its member; NotFound if unknown,
// AlreadyExists if the refund id was recorded on it, FailedPrecondition if
// the amount exceeds what remains of it.
absl::StatusOr<std::pair<const std::string*, const PurchaseRecord*>> RefundablePurchase(
    const DecisionState& state, const RecordRefund& command) {
  const std::string* member_id = state.balances.FindPurchaseMember(command.purchase_id);
  if (member_id == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("purchase_id: ", Quoted(command.purchase_id), " is not recorded"));
  }
  const PurchaseRecord& purchase =
      state.balances.FindMember(*member_id)->purchases.find(command.purchase_id)->second;
  if (purchase.refund_ids.contains(command.refund_id)) {
    return absl::AlreadyExistsError(absl::StrCat("refund_id: ", Quoted(command.refund_id),
                                                 " is already recorded on purchase ",
                                                 Quoted(command.purchase_id)));
  }
  if (command.amount_fen > purchase.refundable_fen()) {
    return absl::FailedPreconditionError(
        absl::StrCat("amount_fen: a refund of ", command.amount_fen, " fen of purchase ",
                     Quoted(command.purchase_id), " exceeds the ", purchase.refundable_fen(),
                     " fen that remain of its ", purchase.amount_fen, " fen"));
  }
  return std::make_pair(member_id, &purchase);
}

v1::Envelope RefundEnvelope(const RecordRefund& command, const std::string& member_id,
                            const PurchaseRecord& purchase) {
  v1::Envelope envelope =
      NewEnvelope(MemberStreamId(member_id), absl::StrCat("refund/", command.refund_id),
                  command.occurred_at_us, command.actor_id);
  v1::RefundRecorded& recorded = *envelope.mutable_event()->mutable_refund_recorded();
  recorded.set_refund_id(command.refund_id);
  recorded.set_purchase_id(command.purchase_id);
  recorded.set_member_id(member_id);
  recorded.set_partner_id(purchase.partner_id);
  recorded.set_amount_fen(command.amount_fen);
  return envelope;
}

v1::Envelope ClawbackEnvelope(const RecordRefund& command, const std::string& member_id,
                              int64_t points) {
  v1::Envelope envelope = NewEnvelope(MemberStreamId(member_id),
                                      absl::StrCat("refund/", command.refund_id, "/clawback"),
                                      command.occurred_at_us, command.actor_id);
  v1::PointsDebited& debited = *envelope.mutable_event()->mutable_points_debited();
  debited.set_member_id(member_id);
  debited.set_points(points);
  debited.set_reason(v1::DEBIT_REASON_CLAWBACK);
  debited.set_purchase_id(command.purchase_id);
  debited.set_refund_id(command.refund_id);
  return envelope;
}

}  // namespace

absl::StatusOr<Events> DecideRecordPurchase(const DecisionState& state,
                                            const RecordPurchase& command) {
  absl::Status status = CheckPurchaseCommand(state, command);
  if (!status.ok()) return status;
  absl::StatusOr<int64_t> points = EarnedPoints(state, command);
  if (!points.ok()) return points.status();
  Events events{PurchaseEnvelope(command)};
  if (*points > 0) events.push_back(EarnedPointsEnvelope(command, *points));
  return events;
}

absl::StatusOr<Events> DecideRecordRefund(const DecisionState& state, const RecordRefund& command) {
  absl::Status status = CheckOccurredAtAndActor(command.occurred_at_us, command.actor_id);
  if (status.ok()) status = CheckCommandId("refund_id", command.refund_id);
  if (status.ok()) status = CheckCommandId("purchase_id", command.purchase_id);
  if (status.ok()) status = CheckPositive("amount_fen", command.amount_fen, kMaxAmountFen);
  if (!status.ok()) return status;
  auto found = RefundablePurchase(state, command);
  if (!found.ok()) return found.status();
  const auto [member_id, purchase] = *found;
  Events events{RefundEnvelope(command, *member_id, *purchase)};
  const int64_t clawback =
      ClawbackTotal(purchase->points_earned, purchase->refunded_fen + command.amount_fen,
                    purchase->amount_fen) -
      purchase->clawed_back_points;
  if (clawback > 0) events.push_back(ClawbackEnvelope(command, *member_id, clawback));
  return events;
}

}  // namespace loyalty::projections
