#include "projections/scorecard.h"

#include <string>
#include <utility>

#include "absl/container/btree_map.h"

namespace loyalty::projections {

PartnerScorecard MakePartnerScorecard(const PartnerProjection& partners,
                                      const ComplaintProjection& complaints,
                                      absl::string_view partner_id, int64_t as_of_us) {
  PartnerScorecard card;
  card.partner_id = std::string(partner_id);
  if (const PartnerScore* score = partners.FindPartner(partner_id); score != nullptr) {
    card.score = *score;
  }
  for (const auto& [complaint_id, complaint] : complaints.complaints()) {
    if (complaint.partner_id != partner_id) continue;
    for (const ComplaintCycle& cycle : complaint.cycles) {
      card.sla.Add(cycle.reply.StatusAt(as_of_us));
      if (cycle.notification.has_value()) card.sla.Add(cycle.notification->StatusAt(as_of_us));
    }
  }
  return card;
}

std::vector<PartnerScorecard> MakePartnerScorecards(const PartnerProjection& partners,
                                                    const ComplaintProjection& complaints,
                                                    int64_t as_of_us) {
  absl::btree_map<std::string, PartnerScorecard> cards;
  for (const auto& [partner_id, score] : partners.partners()) {
    PartnerScorecard& card = cards[partner_id];
    card.partner_id = partner_id;
    card.score = score;
  }
  for (const auto& [partner_id, counts] : complaints.CountsByPartner(as_of_us)) {
    if (partner_id.empty()) continue;
    PartnerScorecard& card = cards[partner_id];
    card.partner_id = partner_id;
    card.sla = counts;
  }
  std::vector<PartnerScorecard> result;
  result.reserve(cards.size());
  for (auto& [partner_id, card] : cards) result.push_back(std::move(card));
  return result;
}

}  // namespace loyalty::projections
