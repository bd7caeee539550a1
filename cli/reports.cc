#include "cli/reports.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "cli/report_format.h"

namespace loyalty::cli {
namespace {

using Align = TextTable::Align;

// Tables of labelled values: "label  value".
TextTable LabelTable() { return TextTable({Align::kLeft, Align::kLeft}); }

// The last line of every report: which state it describes. An empty
// ledger read at a sequence has no time.
std::string AsOfLine(uint64_t as_of_sequence, int64_t as_of_us) {
  return absl::StrCat("as of sequence ", as_of_sequence, ", ",
                      as_of_us == 0 ? "none" : FormatLocalTimeUs(as_of_us), "\n");
}

JsonObject& AddAsOf(JsonObject& json, uint64_t as_of_sequence, int64_t as_of_us) {
  return json.Uint("as_of_sequence", as_of_sequence)
      .Instant("as_of", as_of_us, /*none_when_zero=*/true);
}

std::string Points(int64_t points) { return absl::StrCat(points, " points"); }

std::string LotsText(const std::vector<LotView>& lots) {
  if (lots.empty()) return "lots: none\n";
  TextTable table({Align::kRight, Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft}, "  ");
  table.AddRow({"POINTS", "GRANTED", "EXPIRES", "REASON", "SOURCE"});
  for (const LotView& lot : lots) {
    table.AddRow({absl::StrCat(lot.points_remaining), FormatLocalTimeUs(lot.granted_at_us),
                  FormatLocalTimeUs(lot.expires_at_us), GrantReasonName(lot.reason),
                  lot.source_id.empty() ? "-" : lot.source_id});
  }
  return absl::StrCat("lots:\n", table.Render());
}

std::string TierHistoryText(const std::vector<TierChangeView>& history) {
  if (history.empty()) return "tier history: none\n";
  TextTable table({Align::kLeft, Align::kLeft, Align::kLeft, Align::kRight}, "  ");
  table.AddRow({"AT", "CHANGE", "CAUSE", "SPEND CNY"});
  for (const TierChangeView& change : history) {
    table.AddRow({FormatLocalTimeUs(change.at_us),
                  absl::StrCat(TierName(change.from), " -> ", TierName(change.to)), change.cause,
                  FormatFenAsYuan(change.qualifying_spend_fen)});
  }
  return absl::StrCat("tier history:\n", table.Render());
}

std::string DigestsArray(const std::vector<ProjectionDigest>& digests) {
  std::vector<std::string> elements;
  elements.reserve(digests.size());
  for (const ProjectionDigest& digest : digests) {
    elements.push_back(
        JsonObject().String("name", digest.name).String("digest", HashHex(digest.digest)).Build());
  }
  return JsonArray(elements);
}

// The bonuses a birthday run granted: none when it was a retry.
size_t GrantedCount(const CommandResult& result) {
  return result.deduplicated ? 0 : result.sequences.size();
}

std::string FormatDay(absl::CivilDay day) { return absl::FormatCivilTime(day); }

}  // namespace

std::string MemberText(const MemberView& member) {
  TextTable summary = LabelTable();
  summary.AddRow({"member", member.member_id});
  summary.AddRow({"erased", member.erased ? "yes" : "no"});
  summary.AddRow({"enrolled", FormatLocalTimeUs(member.enrolled_at_us)});
  std::string tier = TierName(member.tier);
  if (member.tier_protected_until_us != 0) {
    absl::StrAppend(&tier, " (protected until ", FormatLocalTimeUs(member.tier_protected_until_us),
                    ")");
  }
  summary.AddRow({"tier", std::move(tier)});
  summary.AddRow(
      {"qualifying spend", absl::StrCat(FormatFenAsYuan(member.qualifying_spend_fen), " CNY")});
  summary.AddRow({"available", Points(member.available_points)});
  summary.AddRow({"debt", Points(member.debt_points)});
  summary.AddRow({"lifetime earned", Points(member.earned_points_total)});
  summary.AddRow({"lifetime redeemed", Points(member.redeemed_points_total)});
  summary.AddRow({"lifetime expired", Points(member.expired_points_total)});
  summary.AddRow({"lifetime clawed back", Points(member.clawed_back_points_total)});
  return absl::StrCat(summary.Render(), LotsText(member.lots), TierHistoryText(member.tier_history),
                      AsOfLine(member.as_of_sequence, member.as_of_us));
}

std::string MemberJson(const MemberView& member) {
  std::vector<std::string> lots;
  for (const LotView& lot : member.lots) {
    lots.push_back(JsonObject()
                       .Int("points_remaining", lot.points_remaining)
                       .Instant("granted_at", lot.granted_at_us)
                       .Instant("expires_at", lot.expires_at_us)
                       .String("reason", GrantReasonName(lot.reason))
                       .String("source_id", lot.source_id)
                       .Build());
  }
  std::vector<std::string> history;
  for (const TierChangeView& change : member.tier_history) {
    history.push_back(JsonObject()
                          .Instant("at", change.at_us)
                          .String("from", TierName(change.from))
                          .String("to", TierName(change.to))
                          .String("cause", change.cause)
                          .Int("qualifying_spend_fen", change.qualifying_spend_fen)
                          .Build());
  }
  JsonObject json;
  json.String("member_id", member.member_id)
      .Bool("erased", member.erased)
      .Instant("enrolled_at", member.enrolled_at_us)
      .String("tier", TierName(member.tier))
      .Instant("tier_protected_until", member.tier_protected_until_us, /*none_when_zero=*/true)
      .Int("qualifying_spend_fen", member.qualifying_spend_fen)
      .Int("available_points", member.available_points)
      .Int("debt_points", member.debt_points)
      .Int("earned_points_total", member.earned_points_total)
      .Int("redeemed_points_total", member.redeemed_points_total)
      .Int("expired_points_total", member.expired_points_total)
      .Int("clawed_back_points_total", member.clawed_back_points_total)
      .Raw("lots", JsonArray(lots))
      .Raw("tier_history", JsonArray(history));
  AddAsOf(json, member.as_of_sequence, member.as_of_us);
  return json.Build() + "\n";
}

std::string TiersText(const ProgramView& program) {
  TextTable table({Align::kLeft, Align::kRight});
  table.AddRow({"TIER", "MEMBERS"});
  table.AddRow({TierName(v1::TIER_REGULAR), absl::StrCat(program.tiers.regular)});
  table.AddRow({TierName(v1::TIER_SILVER), absl::StrCat(program.tiers.silver)});
  table.AddRow({TierName(v1::TIER_GOLD), absl::StrCat(program.tiers.gold)});
  table.AddRow({TierName(v1::TIER_PLATINUM), absl::StrCat(program.tiers.platinum)});
  return absl::StrCat(table.Render(), AsOfLine(program.as_of_sequence, program.as_of_us));
}

std::string TiersJson(const ProgramView& program) {
  JsonObject json;
  json.Int(TierName(v1::TIER_REGULAR), program.tiers.regular)
      .Int(TierName(v1::TIER_SILVER), program.tiers.silver)
      .Int(TierName(v1::TIER_GOLD), program.tiers.gold)
      .Int(TierName(v1::TIER_PLATINUM), program.tiers.platinum);
  AddAsOf(json, program.as_of_sequence, program.as_of_us);
  return json.Build() + "\n";
}

std::string LiabilityText(const ProgramView& program) {
  TextTable table = LabelTable();
  table.AddRow({"outstanding", Points(program.liability.outstanding_points)});
  table.AddRow({"debt", Points(program.liability.debt_points)});
  table.AddRow({"members", absl::StrCat(program.liability.members)});
  return absl::StrCat(table.Render(), AsOfLine(program.as_of_sequence, program.as_of_us));
}

std::string LiabilityJson(const ProgramView& program) {
  JsonObject json;
  json.Int("outstanding_points", program.liability.outstanding_points)
      .Int("debt_points", program.liability.debt_points)
      .Int("members", program.liability.members);
  AddAsOf(json, program.as_of_sequence, program.as_of_us);
  return json.Build() + "\n";
}

std::string PartnersText(const ProgramView& program) {
  std::string rows = "no partners\n";
  if (!program.partners.empty()) {
    TextTable table({Align::kLeft, Align::kRight, Align::kRight, Align::kRight, Align::kRight,
                     Align::kRight, Align::kRight, Align::kRight});
    table.AddRow({"PARTNER", "GROSS CNY", "REFUNDED CNY", "NET CNY", "PURCHASES", "REFUNDS",
                  "REFUND RATE", "POINTS ISSUED"});
    for (const PartnerScorecard& partner : program.partners) {
      table.AddRow({partner.partner_id, FormatFenAsYuan(partner.gross_sales_fen),
                    FormatFenAsYuan(partner.refunded_fen), FormatFenAsYuan(partner.net_sales_fen),
                    absl::StrCat(partner.purchase_count), absl::StrCat(partner.refund_count),
                    FormatBasisPointsAsPercent(partner.refund_rate_bp),
                    absl::StrCat(partner.points_issued)});
    }
    rows = table.Render();
  }
  return absl::StrCat(rows, AsOfLine(program.as_of_sequence, program.as_of_us));
}

std::string PartnersJson(const ProgramView& program) {
  std::vector<std::string> partners;
  for (const PartnerScorecard& partner : program.partners) {
    partners.push_back(JsonObject()
                           .String("partner_id", partner.partner_id)
                           .Int("gross_sales_fen", partner.gross_sales_fen)
                           .Int("refunded_fen", partner.refunded_fen)
                           .Int("net_sales_fen", partner.net_sales_fen)
                           .Int("purchase_count", partner.purchase_count)
                           .Int("refund_count", partner.refund_count)
                           .Int("refund_rate_bp", partner.refund_rate_bp)
                           .Int("points_issued", partner.points_issued)
                           .Build());
  }
  JsonObject json;
  json.Raw("partners", JsonArray(partners));
  AddAsOf(json, program.as_of_sequence, program.as_of_us);
  return json.Build() + "\n";
}

std::string DigestsText(const std::vector<ProjectionDigest>& digests) {
  TextTable table = LabelTable();
  for (const ProjectionDigest& digest : digests) {
    table.AddRow({digest.name, HashHex(digest.digest)});
  }
  return table.Render();
}

std::string DigestsJson(const ProgramView& program) {
  JsonObject json;
  json.Raw("digests", DigestsArray(program.digests));
  AddAsOf(json, program.as_of_sequence, program.as_of_us);
  return json.Build() + "\n";
}

std::string RebuildJson(const std::vector<ProjectionDigest>& digests, uint64_t as_of_sequence) {
  return JsonObject()
             .Raw("digests", DigestsArray(digests))
             .Uint("as_of_sequence", as_of_sequence)
             .Build() +
         "\n";
}

std::string BirthdaysText(absl::CivilDay day, const CommandResult& result) {
  const size_t granted = GrantedCount(result);
  std::string text =
      absl::StrCat("granted ", granted, granted == 1 ? " birthday bonus" : " birthday bonuses",
                   " on ", FormatDay(day));
  if (granted > 0) {
    absl::StrAppend(&text, ": sequences ", absl::StrJoin(result.sequences, " "));
  } else if (!result.sequences.empty()) {
    absl::StrAppend(&text, " (already granted at sequences ", absl::StrJoin(result.sequences, " "),
                    ")");
  }
  return text + "\n";
}

std::string BirthdaysJson(absl::CivilDay day, int64_t occurred_at_us, const CommandResult& result) {
  std::vector<std::string> sequences;
  if (GrantedCount(result) > 0) {
    for (uint64_t sequence : result.sequences) sequences.push_back(absl::StrCat(sequence));
  }
  return JsonObject()
             .String("date", FormatDay(day))
             .Instant("occurred_at", occurred_at_us)
             .Uint("granted", GrantedCount(result))
             .Raw("sequences", JsonArray(sequences))
             .Build() +
         "\n";
}

}  // namespace loyalty::cli
