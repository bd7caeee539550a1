// Every field of the engine's views as text, so that tests compare whole
// views and a failure shows where they differ.
#ifndef LOYALTY_TESTING_VIEW_TEXT_H_
#define LOYALTY_TESTING_VIEW_TEXT_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "loyalty/ledger.h"
#include "loyalty/views.h"

namespace loyalty::testing {

inline std::string Describe(const MemberView& m) {
  std::string out = absl::StrCat(m.member_id, " erased=", m.erased, " enrolled=", m.enrolled_at_us,
                                 " available=", m.available_points, " debt=", m.debt_points,
                                 " earned=", m.earned_points_total, " redeemed=",
                                 m.redeemed_points_total, " expired=", m.expired_points_total,
                                 " clawed=", m.clawed_back_points_total, " active=",
                                 m.last_activity_at_us, " tier=", m.tier,
                                 " protected=", m.tier_protected_until_us, " spend=",
                                 m.qualifying_spend_fen, " as_of=", m.as_of_sequence, "@",
                                 m.as_of_us, "\n");
  for (const LotView& lot : m.lots) {
    absl::StrAppend(&out, "  lot ", lot.points_remaining, " ", lot.granted_at_us, " ",
                    lot.expires_at_us, " ", lot.reason, " ", lot.source_id, "\n");
  }
  for (const TierChangeView& change : m.tier_history) {
    absl::StrAppend(&out, "  tier ", change.at_us, " ", change.from, "->", change.to, " ",
                    change.cause, " ", change.qualifying_spend_fen, "\n");
  }
  return out;
}

// Not the kind of AsOf asked for: tests compare the program reached along
// one axis with the program reached along another.
inline std::string Describe(const ProgramView& v) {
  std::string out = absl::StrCat("as_of=", v.as_of_sequence, "@", v.as_of_us,
                                 "\ntiers ", v.tiers.regular, " ",
                                 v.tiers.silver, " ", v.tiers.gold, " ", v.tiers.platinum,
                                 "\nliability ", v.liability.outstanding_points, " ",
                                 v.liability.debt_points, " ", v.liability.members, "\n");
  for (const auto& [month, points] : v.liability.expiring_by_month) {
    absl::StrAppend(&out, "  expiring ", month, " ", points, "\n");
  }
  for (const PartnerScorecard& p : v.partners) {
    absl::StrAppend(&out, "partner ", p.partner_id, " gross=", p.gross_sales_fen, " refunded=",
                    p.refunded_fen, " net=", p.net_sales_fen, " purchases=", p.purchase_count,
                    " refunds=", p.refund_count, " rate=", p.refund_rate_bp, " points=",
                    p.points_issued, " complaints=", p.complaint_count, " met=", p.sla_met,
                    " breached=", p.sla_breached, " compliance=", p.sla_compliance_bp,
                    " satisfaction=", p.average_satisfaction_centi, "\n");
  }
  for (const ProjectionDigest& digest : v.digests) {
    absl::StrAppend(&out, "digest ", digest.name, " ", HashHex(digest.digest), "\n");
  }
  return out;
}

inline std::string Describe(const SlaClockView& c) {
  return absl::StrCat(static_cast<int>(c.kind), " start=", c.started_at_us, " days=",
                      c.working_days, " due=", c.due_at_us, " missing=", c.missing_calendar_year,
                      " done=", c.done_at_us, " status=", static_cast<int>(c.status));
}

inline std::string Describe(const ComplaintView& v) {
  std::string out = absl::StrCat(v.complaint_id, " member=", v.member_id, " partner=",
                                 v.partner_id, " category=", v.category, " channel=", v.channel,
                                 " state=", static_cast<int>(v.state), " filed=", v.filed_at_us,
                                 " goodwill=", v.goodwill_points_total, " score=",
                                 v.satisfaction_score, " as_of=", v.as_of_sequence, "@",
                                 v.as_of_us, "\n");
  for (const ComplaintCycleView& c : v.cycles) {
    absl::StrAppend(&out, "  cycle ", c.cycle, " start=", c.started_at_us, " reply[",
                    Describe(c.reply), "] investigating=", c.investigation_started_at_us,
                    " resolved=", c.resolved_at_us, " ", c.resolution, " goodwill=",
                    c.goodwill_points, " notification=", c.has_notification);
    if (c.has_notification) absl::StrAppend(&out, "[", Describe(c.notification), "]");
    absl::StrAppend(&out, " confirmed=", c.confirmed_at_us, " satisfied=", c.satisfied,
                    " score=", c.satisfaction_score, "\n");
  }
  return out;
}

inline std::string Describe(const SlaCountsView& c) {
  return absl::StrCat(c.met, "/", c.breached, "/", c.pending, "/", c.due_unknown, " bp=",
                      c.compliance_bp);
}

inline std::string Describe(const SlaGroupView& g) {
  return absl::StrCat("[", g.key, "] all ", Describe(g.all), " reply ", Describe(g.reply),
                      " notification ", Describe(g.notification), "\n");
}

inline std::string Describe(const SlaReportView& r) {
  std::string out = absl::StrCat(absl::FormatCivilTime(r.from_day), "..",
                                 absl::FormatCivilTime(r.to_day), " cycles=", r.cycles,
                                 " reopens=", r.reopens, " open=", r.open_clock_count, " as_of=",
                                 r.as_of_sequence, "@", r.as_of_us, "\n", Describe(r.total));
  for (const auto* groups : {&r.by_due_month, &r.by_partner, &r.by_category}) {
    for (const SlaGroupView& group : *groups) absl::StrAppend(&out, Describe(group));
  }
  for (const OpenClockView& open : r.open_clocks) {
    absl::StrAppend(&out, "  open ", open.complaint_id, " ", open.partner_id, " ", open.category,
                    " ", open.cycle, " ", Describe(open.clock), "\n");
  }
  return out;
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTING_VIEW_TEXT_H_
