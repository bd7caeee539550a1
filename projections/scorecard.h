// Partner scorecards: the partner projection's figures (sales, refunds,
// points, complaints, satisfaction) joined with the SLA compliance of the
// partner's complaints, which ComplaintProjection computes as of an instant.
#ifndef LOYALTY_PROJECTIONS_SCORECARD_H_
#define LOYALTY_PROJECTIONS_SCORECARD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "projections/complaints.h"
#include "projections/partners.h"

namespace loyalty::projections {

struct PartnerScorecard {
  std::string partner_id;
  // Net sales, refund rate, points issued, complaint count, average
  // satisfaction (PartnerScore); all zero for a partner the partner
  // projection does not know.
  PartnerScore score;
  // Every SLA clock of every cycle of the complaints naming the partner, by
  // status as of the instant asked for; sla.compliance_bp() is the
  // partner's SLA compliance.
  SlaCounts sla;
};

// The scorecard of `partner_id` as of `as_of_us`. Both projections must have
// applied the same prefix of the log.
PartnerScorecard MakePartnerScorecard(const PartnerProjection& partners,
                                      const ComplaintProjection& complaints,
                                      absl::string_view partner_id, int64_t as_of_us);

// The scorecards of every partner either projection knows, by partner id
// (complaints about the mall itself, with no partner, are left out).
std::vector<PartnerScorecard> MakePartnerScorecards(const PartnerProjection& partners,
                                                    const ComplaintProjection& complaints,
                                                    int64_t as_of_us);

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_SCORECARD_H_
