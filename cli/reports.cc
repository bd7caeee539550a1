#include "cli/reports.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "cli/as_of.h"
#include "cli/report_format.h"

namespace loyalty::cli {
namespace {

using Align = TextTable::Align;

// Tables of labelled values: "label  value".
TextTable LabelTable() { return TextTable({Align::kLeft, Align::kLeft}); }

// The last line of every report: which state it describes, and on which
// axis it was chosen (business and recorded time differ after an import of
// history, and a reader must know which one answered). An empty ledger read
// at a sequence has no time.
std::string AsOfLine(uint64_t as_of_sequence, int64_t as_of_us, AsOf::Kind kind) {
  return absl::StrCat("as of sequence ", as_of_sequence, ", ",
                      as_of_us == 0 ? "none" : FormatLocalTimeUs(as_of_us), " (",
                      AsOfAxisName(kind), ")\n");
}

// "business time" -> "business_time".
std::string AsOfAxisKey(AsOf::Kind kind) {
  std::string key = AsOfAxisName(kind);
  std::replace(key.begin(), key.end(), ' ', '_');
  return key;
}

JsonObject& AddAsOf(JsonObject& json, uint64_t as_of_sequence, int64_t as_of_us, AsOf::Kind kind) {
  return json.Uint("as_of_sequence", as_of_sequence)
      .Instant("as_of", as_of_us, /*none_when_zero=*/true)
      .String("as_of_axis", AsOfAxisKey(kind));
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

// A rate in basis points as a percentage; "-" for -1, no rate yet.
std::string RateText(int64_t rate_bp) {
  return rate_bp < 0 ? "-" : FormatBasisPointsAsPercent(rate_bp);
}

// A non-negative integer, or null for -1 (not known yet).
std::string OptionalInt(int64_t value) { return value < 0 ? "null" : absl::StrCat(value); }

// An instant, or "-" for 0 (has not happened).
std::string TimeOrDash(int64_t instant_us) {
  return instant_us == 0 ? "-" : FormatLocalTimeUs(instant_us);
}

// "(mall)" for the empty partner of complaints about the mall itself.
std::string PartnerText(const std::string& partner_id) {
  return partner_id.empty() ? "(mall)" : partner_id;
}

// A clock's deadline: the instant, or why it is not known yet.
std::string DueText(const SlaClockView& clock) {
  if (clock.due_at_us != 0) return FormatLocalTimeUs(clock.due_at_us);
  return absl::StrCat("unknown: no holiday schedule is loaded for ", clock.missing_calendar_year);
}

std::string ClockJson(const SlaClockView& clock) {
  return JsonObject()
      .String("clock", SlaClockKindName(clock.kind))
      .Instant("started_at", clock.started_at_us)
      .Int("working_days", clock.working_days)
      .Instant("due_at", clock.due_at_us, /*none_when_zero=*/true)
      .Int("missing_calendar_year", clock.missing_calendar_year)
      .Instant("done_at", clock.done_at_us, /*none_when_zero=*/true)
      .String("status", SlaClockStatusName(clock.status))
      .Build();
}

// "satisfied (4)", "dissatisfied", or "-" before the customer answered.
std::string AnswerText(const ComplaintCycleView& cycle) {
  if (cycle.confirmed_at_us == 0) return "-";
  std::string answer = cycle.satisfied ? "satisfied" : "dissatisfied";
  if (cycle.satisfaction_score != 0) absl::StrAppend(&answer, " (", cycle.satisfaction_score, ")");
  return answer;
}

std::string CountsJson(const SlaCountsView& counts) {
  return JsonObject()
      .Int("met", counts.met)
      .Int("breached", counts.breached)
      .Int("pending", counts.pending)
      .Int("due_unknown", counts.due_unknown)
      .Raw("compliance_bp", OptionalInt(counts.compliance_bp))
      .Build();
}

std::string GroupJson(absl::string_view key_name, const SlaGroupView& group) {
  return JsonObject()
      .String(key_name, group.key)
      .Raw("all", CountsJson(group.all))
      .Raw("reply", CountsJson(group.reply))
      .Raw("notification", CountsJson(group.notification))
      .Build();
}

std::string GroupsJson(absl::string_view key_name, const std::vector<SlaGroupView>& groups) {
  std::vector<std::string> elements;
  elements.reserve(groups.size());
  for (const SlaGroupView& group : groups) elements.push_back(GroupJson(key_name, group));
  return JsonArray(elements);
}

// A table of groups: counts and compliance, all clocks and by kind.
std::string GroupsText(absl::string_view title, absl::string_view key_header,
                       const std::vector<SlaGroupView>& groups, bool is_partner) {
  if (groups.empty()) return absl::StrCat(title, ": none\n");
  TextTable table({Align::kLeft, Align::kRight, Align::kRight, Align::kRight, Align::kRight,
                   Align::kRight, Align::kRight, Align::kRight},
                  "  ");
  table.AddRow({std::string(key_header), "MET", "BREACHED", "PENDING", "UNKNOWN", "COMPLIANCE",
                "REPLY", "NOTIFICATION"});
  for (const SlaGroupView& group : groups) {
    table.AddRow({is_partner ? PartnerText(group.key) : group.key, absl::StrCat(group.all.met),
                  absl::StrCat(group.all.breached), absl::StrCat(group.all.pending),
                  absl::StrCat(group.all.due_unknown), RateText(group.all.compliance_bp),
                  RateText(group.reply.compliance_bp), RateText(group.notification.compliance_bp)});
  }
  return absl::StrCat(title, ":\n", table.Render());
}

std::string WindowText(const SlaReportView& report, bool window_given) {
  if (!window_given) return "all cycles";
  return absl::StrCat("cycles started ", FormatDay(report.from_day), " to ",
                      FormatDay(report.to_day));
}

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
                      AsOfLine(member.as_of_sequence, member.as_of_us, member.as_of_kind));
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
  AddAsOf(json, member.as_of_sequence, member.as_of_us, member.as_of_kind);
  return json.Build() + "\n";
}

std::string TiersText(const ProgramView& program) {
  TextTable table({Align::kLeft, Align::kRight});
  table.AddRow({"TIER", "MEMBERS"});
  table.AddRow({TierName(v1::TIER_REGULAR), absl::StrCat(program.tiers.regular)});
  table.AddRow({TierName(v1::TIER_SILVER), absl::StrCat(program.tiers.silver)});
  table.AddRow({TierName(v1::TIER_GOLD), absl::StrCat(program.tiers.gold)});
  table.AddRow({TierName(v1::TIER_PLATINUM), absl::StrCat(program.tiers.platinum)});
  return absl::StrCat(table.Render(),
                      AsOfLine(program.as_of_sequence, program.as_of_us, program.as_of_kind));
}

std::string TiersJson(const ProgramView& program) {
  JsonObject json;
  json.Int(TierName(v1::TIER_REGULAR), program.tiers.regular)
      .Int(TierName(v1::TIER_SILVER), program.tiers.silver)
      .Int(TierName(v1::TIER_GOLD), program.tiers.gold)
      .Int(TierName(v1::TIER_PLATINUM), program.tiers.platinum);
  AddAsOf(json, program.as_of_sequence, program.as_of_us, program.as_of_kind);
  return json.Build() + "\n";
}

std::string LiabilityText(const ProgramView& program) {
  TextTable table = LabelTable();
  table.AddRow({"outstanding", Points(program.liability.outstanding_points)});
  table.AddRow({"debt", Points(program.liability.debt_points)});
  table.AddRow({"members", absl::StrCat(program.liability.members)});
  return absl::StrCat(table.Render(),
                      AsOfLine(program.as_of_sequence, program.as_of_us, program.as_of_kind));
}

std::string LiabilityJson(const ProgramView& program) {
  JsonObject json;
  json.Int("outstanding_points", program.liability.outstanding_points)
      .Int("debt_points", program.liability.debt_points)
      .Int("members", program.liability.members);
  AddAsOf(json, program.as_of_sequence, program.as_of_us, program.as_of_kind);
  return json.Build() + "\n";
}

std::string PartnersText(const ProgramView& program) {
  std::string rows = "no partners\n";
  if (!program.partners.empty()) {
    TextTable table({Align::kLeft, Align::kRight, Align::kRight, Align::kRight, Align::kRight,
                     Align::kRight, Align::kRight, Align::kRight, Align::kRight, Align::kRight,
                     Align::kRight, Align::kRight, Align::kRight});
    table.AddRow({"PARTNER", "GROSS CNY", "REFUNDED CNY", "NET CNY", "PURCHASES", "REFUNDS",
                  "REFUND RATE", "POINTS ISSUED", "COMPLAINTS", "SLA MET", "SLA BREACHED",
                  "SLA RATE", "SATISFACTION"});
    for (const PartnerScorecard& partner : program.partners) {
      table.AddRow({partner.partner_id, FormatFenAsYuan(partner.gross_sales_fen),
                    FormatFenAsYuan(partner.refunded_fen), FormatFenAsYuan(partner.net_sales_fen),
                    absl::StrCat(partner.purchase_count), absl::StrCat(partner.refund_count),
                    FormatBasisPointsAsPercent(partner.refund_rate_bp),
                    absl::StrCat(partner.points_issued), absl::StrCat(partner.complaint_count),
                    absl::StrCat(partner.sla_met), absl::StrCat(partner.sla_breached),
                    RateText(partner.sla_compliance_bp),
                    partner.average_satisfaction_centi < 0
                        ? "-"
                        : FormatHundredths(partner.average_satisfaction_centi)});
    }
    rows = table.Render();
  }
  return absl::StrCat(rows, AsOfLine(program.as_of_sequence, program.as_of_us, program.as_of_kind));
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
                           .Int("complaint_count", partner.complaint_count)
                           .Int("sla_met", partner.sla_met)
                           .Int("sla_breached", partner.sla_breached)
                           .Raw("sla_compliance_bp", OptionalInt(partner.sla_compliance_bp))
                           .Raw("average_satisfaction_centi",
                                OptionalInt(partner.average_satisfaction_centi))
                           .Build());
  }
  JsonObject json;
  json.Raw("partners", JsonArray(partners));
  AddAsOf(json, program.as_of_sequence, program.as_of_us, program.as_of_kind);
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
  AddAsOf(json, program.as_of_sequence, program.as_of_us, program.as_of_kind);
  return json.Build() + "\n";
}

std::string RebuildJson(const std::vector<ProjectionDigest>& digests, uint64_t as_of_sequence,
                        uint64_t anomalies) {
  return JsonObject()
             .Raw("digests", DigestsArray(digests))
             .Uint("as_of_sequence", as_of_sequence)
             .Uint("anomalies", anomalies)
             .Build() +
         "\n";
}

std::string AnomalyCountLine(uint64_t anomalies) {
  return absl::StrCat("anomalies: ", anomalies, " (see `loyalty anomalies`)\n");
}

std::string AnomaliesText(const AnomaliesView& anomalies) {
  std::string out = absl::StrCat("anomalies: ", anomalies.count);
  if (anomalies.count > anomalies.anomalies.size()) {
    absl::StrAppend(&out, " (", anomalies.anomalies.size(),
                    " listed: each projection keeps the first 1000)");
  }
  out.push_back('\n');
  if (!anomalies.anomalies.empty()) {
    TextTable table({Align::kRight, Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft});
    table.AddRow({"sequence", "stream", "projection", "rule", "message"});
    for (const AnomalyView& anomaly : anomalies.anomalies) {
      table.AddRow({absl::StrCat(anomaly.sequence), anomaly.stream_id, anomaly.projection,
                    anomaly.rule, anomaly.message});
    }
    absl::StrAppend(&out, table.Render());
  }
  absl::StrAppend(&out, "as of sequence ", anomalies.as_of_sequence, "\n");
  return out;
}

std::string AnomaliesJson(const AnomaliesView& anomalies) {
  std::vector<std::string> listed;
  listed.reserve(anomalies.anomalies.size());
  for (const AnomalyView& anomaly : anomalies.anomalies) {
    listed.push_back(JsonObject()
                         .Uint("sequence", anomaly.sequence)
                         .String("stream_id", anomaly.stream_id)
                         .String("projection", anomaly.projection)
                         .String("rule", anomaly.rule)
                         .String("message", anomaly.message)
                         .Build());
  }
  return JsonObject()
             .Raw("anomalies", JsonArray(listed))
             .Uint("count", anomalies.count)
             .Uint("as_of_sequence", anomalies.as_of_sequence)
             .Build() +
         "\n";
}

std::string ComplaintText(const ComplaintView& complaint) {
  TextTable summary = LabelTable();
  summary.AddRow({"complaint", complaint.complaint_id});
  summary.AddRow({"member", complaint.member_id});
  summary.AddRow({"partner", PartnerText(complaint.partner_id)});
  summary.AddRow({"category", complaint.category});
  summary.AddRow({"channel", ChannelName(complaint.channel)});
  summary.AddRow({"state", ComplaintStateName(complaint.state)});
  summary.AddRow({"filed", FormatLocalTimeUs(complaint.filed_at_us)});
  summary.AddRow({"goodwill", Points(complaint.goodwill_points_total)});
  summary.AddRow({"satisfaction", complaint.satisfaction_score == 0
                                      ? "-"
                                      : absl::StrCat(complaint.satisfaction_score)});
  TextTable cycles({Align::kRight, Align::kLeft, Align::kLeft, Align::kLeft, Align::kRight,
                    Align::kLeft, Align::kLeft},
                   "  ");
  cycles.AddRow({"CYCLE", "STARTED", "RESOLVED", "RESOLUTION", "GOODWILL", "CONFIRMED", "ANSWER"});
  TextTable clocks({Align::kRight, Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft}, "  ");
  clocks.AddRow({"CYCLE", "CLOCK", "DUE", "DONE", "STATUS"});
  auto add_clock = [&](int32_t cycle, const SlaClockView& clock) {
    clocks.AddRow({absl::StrCat(cycle), SlaClockKindName(clock.kind), DueText(clock),
                   TimeOrDash(clock.done_at_us), SlaClockStatusName(clock.status)});
  };
  for (const ComplaintCycleView& cycle : complaint.cycles) {
    cycles.AddRow({absl::StrCat(cycle.cycle), FormatLocalTimeUs(cycle.started_at_us),
                   TimeOrDash(cycle.resolved_at_us), cycle.resolution.empty() ? "-" : cycle.resolution,
                   absl::StrCat(cycle.goodwill_points), TimeOrDash(cycle.confirmed_at_us),
                   AnswerText(cycle)});
    add_clock(cycle.cycle, cycle.reply);
    if (cycle.has_notification) add_clock(cycle.cycle, cycle.notification);
  }
  return absl::StrCat(summary.Render(), "cycles:\n", cycles.Render(), "clocks:\n", clocks.Render(),
                      AsOfLine(complaint.as_of_sequence, complaint.as_of_us, complaint.as_of_kind));
}

std::string ComplaintJson(const ComplaintView& complaint) {
  std::vector<std::string> cycles;
  for (const ComplaintCycleView& cycle : complaint.cycles) {
    cycles.push_back(
        JsonObject()
            .Int("cycle", cycle.cycle)
            .Instant("started_at", cycle.started_at_us)
            .Raw("reply", ClockJson(cycle.reply))
            .Instant("investigation_started_at", cycle.investigation_started_at_us,
                     /*none_when_zero=*/true)
            .Instant("resolved_at", cycle.resolved_at_us, /*none_when_zero=*/true)
            .String("resolution", cycle.resolution)
            .Int("goodwill_points", cycle.goodwill_points)
            .Raw("notification", cycle.has_notification ? ClockJson(cycle.notification) : "null")
            .Instant("confirmed_at", cycle.confirmed_at_us, /*none_when_zero=*/true)
            .Bool("satisfied", cycle.satisfied)
            .Int("satisfaction_score", cycle.satisfaction_score)
            .Build());
  }
  JsonObject json;
  json.String("complaint_id", complaint.complaint_id)
      .String("member_id", complaint.member_id)
      .String("partner_id", complaint.partner_id)
      .String("category", complaint.category)
      .String("channel", ChannelName(complaint.channel))
      .String("state", ComplaintStateName(complaint.state))
      .Instant("filed_at", complaint.filed_at_us)
      .Int("goodwill_points_total", complaint.goodwill_points_total)
      .Int("satisfaction_score", complaint.satisfaction_score)
      .Raw("cycles", JsonArray(cycles));
  AddAsOf(json, complaint.as_of_sequence, complaint.as_of_us, complaint.as_of_kind);
  return json.Build() + "\n";
}

std::string SlaReportText(const SlaReportView& report, bool window_given) {
  TextTable summary = LabelTable();
  summary.AddRow({"window", WindowText(report, window_given)});
  summary.AddRow({"cycles", absl::StrCat(report.cycles, " (", report.reopens,
                                         report.reopens == 1 ? " reopening)" : " reopenings)")});
  const SlaCountsView& all = report.total.all;
  summary.AddRow({"clocks", absl::StrCat(all.met + all.breached + all.pending + all.due_unknown,
                                         ": ", all.met, " met, ", all.breached, " breached, ",
                                         all.pending, " pending, ", all.due_unknown,
                                         " due unknown")});
  summary.AddRow({"compliance",
                  absl::StrCat(RateText(all.compliance_bp), " (reply ",
                               RateText(report.total.reply.compliance_bp), ", notification ",
                               RateText(report.total.notification.compliance_bp), ")")});
  std::string open;
  if (report.open_clocks.empty()) {
    open = "open clocks: none\n";
  } else {
    TextTable table({Align::kLeft, Align::kLeft, Align::kLeft, Align::kRight, Align::kLeft,
                     Align::kLeft, Align::kLeft},
                    "  ");
    table.AddRow({"DUE", "STATUS", "COMPLAINT", "CYCLE", "CLOCK", "PARTNER", "CATEGORY"});
    for (const OpenClockView& clock : report.open_clocks) {
      table.AddRow({DueText(clock.clock), SlaClockStatusName(clock.clock.status),
                    clock.complaint_id, absl::StrCat(clock.cycle),
                    SlaClockKindName(clock.clock.kind), PartnerText(clock.partner_id),
                    clock.category});
    }
    open = absl::StrCat("open clocks nearest their deadline (", report.open_clocks.size(), " of ",
                        report.open_clock_count, "):\n", table.Render());
  }
  return absl::StrCat(summary.Render(),
                      GroupsText("by due month", "MONTH", report.by_due_month, false),
                      GroupsText("by partner", "PARTNER", report.by_partner, true),
                      GroupsText("by category", "CATEGORY", report.by_category, false), open,
                      AsOfLine(report.as_of_sequence, report.as_of_us, report.as_of_kind));
}

std::string SlaReportJson(const SlaReportView& report, bool window_given) {
  std::vector<std::string> open;
  for (const OpenClockView& clock : report.open_clocks) {
    open.push_back(JsonObject()
                       .String("complaint_id", clock.complaint_id)
                       .String("partner_id", clock.partner_id)
                       .String("category", clock.category)
                       .Int("cycle", clock.cycle)
                       .Raw("clock", ClockJson(clock.clock))
                       .Build());
  }
  JsonObject json;
  if (window_given) {
    json.String("from", FormatDay(report.from_day)).String("to", FormatDay(report.to_day));
  } else {
    json.Raw("from", "null").Raw("to", "null");
  }
  json.Int("cycles", report.cycles)
      .Int("reopens", report.reopens)
      .Raw("all", CountsJson(report.total.all))
      .Raw("reply", CountsJson(report.total.reply))
      .Raw("notification", CountsJson(report.total.notification))
      .Raw("by_due_month", GroupsJson("month", report.by_due_month))
      .Raw("by_partner", GroupsJson("partner_id", report.by_partner))
      .Raw("by_category", GroupsJson("category", report.by_category))
      .Int("open_clock_count", report.open_clock_count)
      .Raw("open_clocks", JsonArray(open));
  AddAsOf(json, report.as_of_sequence, report.as_of_us, report.as_of_kind);
  return json.Build() + "\n";
}

std::string DeadlineText(int64_t from_us, int64_t working_days, int64_t due_us) {
  TextTable table = LabelTable();
  table.AddRow({"from", absl::StrCat(FormatLocalTimeUs(from_us), " (", LocalWeekdayName(from_us),
                                     ")")});
  table.AddRow({"working days", absl::StrCat(working_days)});
  table.AddRow(
      {"due", absl::StrCat(FormatLocalTimeUs(due_us), " (", LocalWeekdayName(due_us), ")")});
  return table.Render();
}

std::string DeadlineJson(int64_t from_us, int64_t working_days, int64_t due_us) {
  return JsonObject()
             .Instant("from", from_us)
             .Int("working_days", working_days)
             .Instant("due", due_us)
             .Build() +
         "\n";
}

namespace {

// "36 days (29 holidays, 7 working days)".
std::string DaysText(const v1::CalendarDaysDeclared& declaration) {
  int64_t holidays = 0;
  for (const v1::DeclaredDay& day : declaration.days()) {
    if (day.kind() == v1::DAY_KIND_HOLIDAY) ++holidays;
  }
  const int64_t working_days = declaration.days_size() - holidays;
  return absl::StrCat(declaration.days_size(), declaration.days_size() == 1 ? " day (" : " days (",
                      holidays, holidays == 1 ? " holiday, " : " holidays, ", working_days,
                      working_days == 1 ? " working day)" : " working days)");
}

std::string CoversText(const v1::CalendarDaysDeclared& declaration) {
  return declaration.covers_year() == 0 ? "covering no whole year"
                                        : absl::StrCat("covering ", declaration.covers_year());
}

}  // namespace

std::string CalendarLoadText(const v1::CalendarDaysDeclared& declaration,
                             const CommandResult* result) {
  if (result == nullptr || result->sequences.empty()) {
    return absl::StrCat("calendar ", declaration.source(), " (", CoversText(declaration),
                        ") is already loaded: its ", DaysText(declaration),
                        " are declared so already; nothing appended\n");
  }
  return absl::StrCat("loaded calendar ", declaration.source(), " (", CoversText(declaration),
                      "): ", DaysText(declaration), " at sequence ", result->sequences.back(),
                      result->deduplicated ? " (duplicate)" : "", "\n");
}

std::string CalendarLoadJson(const v1::CalendarDaysDeclared& declaration,
                             const CommandResult* result) {
  int64_t holidays = 0;
  for (const v1::DeclaredDay& day : declaration.days()) {
    if (day.kind() == v1::DAY_KIND_HOLIDAY) ++holidays;
  }
  const bool loaded = result != nullptr && !result->sequences.empty();
  JsonObject json;
  json.String("source", declaration.source())
      .Raw("covers_year",
           declaration.covers_year() == 0 ? "null" : absl::StrCat(declaration.covers_year()))
      .Int("days", declaration.days_size())
      .Int("holidays", holidays)
      .Int("working_days", declaration.days_size() - holidays)
      .Bool("loaded", loaded)
      .Raw("sequence", loaded ? absl::StrCat(result->sequences.back()) : "null");
  return json.Build() + "\n";
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
  for (uint64_t sequence : result.sequences) sequences.push_back(absl::StrCat(sequence));
  return JsonObject()
             .String("date", FormatDay(day))
             .Instant("occurred_at", occurred_at_us)
             .Uint("granted", GrantedCount(result))
             .Bool("already_granted", result.deduplicated)
             .Raw("sequences", JsonArray(sequences))
             .Build() +
         "\n";
}

std::string ContactChannelName(ContactChannel channel) {
  switch (channel) {
    case ContactChannel::kSms:
      return "sms";
    case ContactChannel::kEmail:
      return "email";
  }
  return "unknown";
}

std::string ContactPurposeName(ContactPurpose purpose) {
  switch (purpose) {
    case ContactPurpose::kBirthdayCare:
      return "birthday-care";
    case ContactPurpose::kOffers:
      return "offers";
  }
  return "unknown";
}

absl::StatusOr<ContactChannel> ParseContactChannel(absl::string_view name) {
  for (ContactChannel channel : {ContactChannel::kSms, ContactChannel::kEmail}) {
    if (name == ContactChannelName(channel)) return channel;
  }
  if (name == "phone") {
    return absl::InvalidArgumentError(
        "\"phone\": no consent to phone calls is recorded (the channels are sms and email)");
  }
  return absl::InvalidArgumentError(
      absl::StrCat(JsonQuote(name), " is not a channel (sms or email)"));
}

absl::StatusOr<ContactPurpose> ParseContactPurpose(absl::string_view name) {
  for (ContactPurpose purpose : {ContactPurpose::kBirthdayCare, ContactPurpose::kOffers}) {
    if (name == ContactPurposeName(purpose)) return purpose;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(JsonQuote(name), " is not a purpose (birthday-care or offers)"));
}

std::string ContactableText(const ContactableView& view) {
  std::string out = absl::StrCat("contactable by ", ContactChannelName(view.channel), " for ",
                                 ContactPurposeName(view.purpose), ": ", view.member_ids.size(),
                                 "\n");
  for (const std::string& member_id : view.member_ids) absl::StrAppend(&out, member_id, "\n");
  absl::StrAppend(&out, "as of sequence ", view.as_of_sequence, " (",
                  AsOfAxisName(view.as_of_kind), ")\n");
  return out;
}

std::string ContactableJson(const ContactableView& view) {
  std::vector<std::string> member_ids;
  member_ids.reserve(view.member_ids.size());
  for (const std::string& member_id : view.member_ids) member_ids.push_back(JsonQuote(member_id));
  return JsonObject()
             .String("channel", ContactChannelName(view.channel))
             .String("purpose", ContactPurposeName(view.purpose))
             .Raw("member_ids", JsonArray(member_ids))
             .Uint("count", view.member_ids.size())
             .Uint("as_of_sequence", view.as_of_sequence)
             .String("as_of_axis", AsOfAxisKey(view.as_of_kind))
             .Build() +
         "\n";
}

}  // namespace loyalty::cli
