// loyalty::projections::PartnerProjection — a scorecard per partner (store).
//
// Events it uses:
//  PurchaseRecorded: gross sales and purchase count of its partner.
//  RefundRecorded: refunds and refund count of the refunded purchase's
//    partner (the purchase decides, not the refund's own partner_id).
//  PointsGranted, reason PURCHASE: points issued on the purchase's partner.
//  PointsDebited, reason CLAWBACK: points clawed back, likewise.
// Complaint counts, SLA compliance and satisfaction will join the
// scorecard; projection_state.proto keeps field numbers free for them.
#ifndef LOYALTY_PROJECTIONS_PARTNERS_H_
#define LOYALTY_PROJECTIONS_PARTNERS_H_

#include <cstdint>
#include <string>

#include "absl/container/btree_map.h"
#include "projections/projection.h"
#include "projections/replay.h"

namespace loyalty::projections {

struct PartnerScore {
  int64_t gross_sales_fen = 0;
  int64_t refunded_fen = 0;
  int64_t purchase_count = 0;
  int64_t refund_count = 0;
  int64_t points_issued = 0;       // granted on its purchases
  int64_t points_clawed_back = 0;  // clawed back on refunds of its purchases

  int64_t net_sales_fen() const { return gross_sales_fen - refunded_fen; }
  // floor(refunded_fen * 10000 / gross_sales_fen); 0 without sales.
  int64_t refund_rate_bp() const;
};

class PartnerProjection final : public Projection {
 public:
  PartnerProjection() = default;

  // "partners".
  absl::string_view name() const override { return "partners"; }
  // FailedPrecondition for a purchase recorded twice, or a refund or points
  // naming a purchase never recorded.
  absl::Status Apply(const v1::Envelope& envelope) override;
  void AdvanceTo(int64_t instant_us) override { position_.MoveTo(instant_us); }
  std::string CanonicalState() const override;
  absl::Status Restore(absl::string_view canonical_state) override;

  // The partner's scorecard, or nullptr if it has no purchase yet.
  const PartnerScore* FindPartner(absl::string_view partner_id) const;

  // Every partner, by id.
  const absl::btree_map<std::string, PartnerScore>& partners() const { return partners_; }

  int64_t now_us() const { return position_.now_us(); }
  uint64_t last_sequence() const { return position_.last_sequence(); }

 private:
  absl::Status Dispatch(const v1::Envelope& envelope);
  absl::Status OnPurchase(const v1::Envelope& envelope);
  // The scorecard of the partner of purchase `purchase_id`.
  absl::StatusOr<PartnerScore*> ScoreOfPurchase(const v1::Envelope& envelope,
                                                absl::string_view purchase_id);

  ReplayPosition position_;
  absl::btree_map<std::string, PartnerScore> partners_;
  // purchase_id -> partner_id of every purchase.
  absl::btree_map<std::string, std::string> purchase_partner_;
};

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_PARTNERS_H_
