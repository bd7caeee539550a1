// A random, deterministic history driven through an Engine, for tests —
// purchases, refunds, redemptions, complaints through their whole lifecycle
// (replies, investigations, resolutions with goodwill, notifications,
// reopenings, steps out of order that the engine rejects), surveys, SLA
// policy changes and the official calendars, with business time mostly
// moving forward and sometimes backdated; on request, events that break a
// rule of the domain too, appended raw through the ledger as an older build
// or `loyalty append` could.
#ifndef LOYALTY_TESTING_ENGINE_HISTORY_H_
#define LOYALTY_TESTING_ENGINE_HISTORY_H_

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "loyalty/clock.h"
#include "loyalty/engine.h"
#include "loyalty/limits.h"
#include "testing/commands.h"
#include "testing/events.h"
#include "testing/official_calendar.h"

namespace loyalty::testing {

// 2024-01-01T00:00:00+08:00.
inline constexpr int64_t kHistoryStartUs = 1704038400LL * 1000000;
inline constexpr int64_t kHistoryDayUs = 86400LL * 1000000;

// Declares data/calendar/cn-<year>.txt at `at_us`.
inline absl::StatusOr<CommandResult> LoadOfficialCalendar(Engine& engine, int year,
                                                          int64_t at_us) {
  absl::StatusOr<v1::CalendarDaysDeclared> parsed = ParseCalendarFile(OfficialCalendarText(year));
  if (!parsed.ok()) return parsed.status();
  DeclareCalendarDays command;
  command.declaration = *parsed;
  command.occurred_at_us = at_us;
  command.actor_id = "calendar-admin";
  return engine.Execute(command);
}

class EngineHistory {
 public:
  // `clock` is the engine's ledger clock; it is kept a second ahead of the
  // business time reached, as a service recording events as they happen.
  // With `rule_breaking`, now and then an event no command would append
  // (docs/reliability.md, "Events that break a rule").
  EngineHistory(Engine* engine, ManualClock* clock, uint64_t seed, bool rule_breaking = false)
      : engine_(engine), clock_(clock), random_(seed), rule_breaking_(rule_breaking) {}

  void Run(int commands) {
    Expect(LoadOfficialCalendar(*engine_, 2024, now_us_));
    for (int i = 0; i < commands; ++i) {
      if (!loaded_2025_ && now_us_ >= kHistoryStartUs + 300 * kHistoryDayUs) {
        Expect(LoadOfficialCalendar(*engine_, 2025, now_us_));
        loaded_2025_ = true;
      }
      Step();
    }
  }

  const std::vector<std::string>& members() const { return members_; }
  const std::vector<std::string>& complaints() const { return complaints_; }
  int64_t now_us() const { return now_us_; }

 private:
  uint64_t Below(uint64_t n) { return random_() % n; }
  bool OneIn(uint64_t n) { return Below(n) == 0; }
  template <typename T>
  const T& Pick(const std::vector<T>& values) {
    return values[Below(values.size())];
  }

  // The business time of the next command: forward by up to two days,
  // sometimes backdated by up to a month.
  int64_t NextTime() {
    now_us_ += static_cast<int64_t>(Below(2 * kHistoryDayUs));
    if (clock_->NowMicros() < now_us_ + 1000000) clock_->Set(now_us_ + 1000000);
    if (OneIn(12)) return now_us_ - static_cast<int64_t>(Below(30 * kHistoryDayUs));
    return now_us_;
  }

  // Rejections are part of the history (a step out of order, a redemption
  // too large); anything else is a bug.
  void Accept(const absl::StatusOr<CommandResult>& result) {
    if (result.ok()) return;
    const absl::StatusCode code = result.status().code();
    EXPECT_TRUE(code == absl::StatusCode::kFailedPrecondition ||
                code == absl::StatusCode::kAlreadyExists || code == absl::StatusCode::kNotFound)
        << result.status();
  }
  void Expect(const absl::StatusOr<CommandResult>& result) {
    EXPECT_TRUE(result.ok()) << result.status();
  }

  void Step() {
    const int64_t at = NextTime();
    if (members_.empty() || (members_.size() < 10 && OneIn(8))) return Enrol(at);
    // Drawn only when asked for, so that the other histories stay as they were.
    if (rule_breaking_ && OneIn(7)) return BreakARule(at);
    const uint64_t kind = Below(100);
    if (kind < 30) return Purchase(at);
    if (kind < 38) return Refund(at);
    if (kind < 46) return RedeemPoints(at);
    if (kind < 85) return Complain(at);
    if (kind < 95) return Survey(at);
    if (kind < 97) return ChangeSla(at);
    return Purchase(at);
  }

  // The random draws of each command are taken one statement at a time, in
  // a fixed order: a seed gives the same history with any compiler.
  void Enrol(int64_t at) {
    const std::string member_id = absl::StrCat("M", members_.size() + 1);
    Expect(engine_->Execute(EnrolCommand(member_id, at, "desk")));
    members_.push_back(member_id);
  }

  void Purchase(int64_t at) {
    const std::string purchase_id = absl::StrCat("P", purchases_.size() + 1);
    const std::string& member_id = Pick(members_);
    const std::string partner_id = absl::StrCat("S", Below(4));
    const int64_t amount_fen = 100 + static_cast<int64_t>(Below(300000));
    Accept(engine_->Execute(PurchaseCommand(purchase_id, member_id, amount_fen, at, partner_id)));
    purchases_.push_back(purchase_id);
  }

  void Refund(int64_t at) {
    if (purchases_.empty()) return Purchase(at);
    const std::string refund_id = absl::StrCat("F", ++refunds_);
    const std::string& purchase_id = Pick(purchases_);
    const int64_t amount_fen = 1 + static_cast<int64_t>(Below(50000));
    Accept(engine_->Execute(RefundCommand(refund_id, purchase_id, amount_fen, at)));
  }

  void RedeemPoints(int64_t at) {
    const std::string redemption_id = absl::StrCat("R", ++redemptions_);
    const std::string& member_id = Pick(members_);
    const int64_t points = 1 + static_cast<int64_t>(Below(800));
    Accept(engine_->Execute(RedeemCommand(redemption_id, member_id, points, at)));
  }

  // Files a complaint, or takes the next step of one (now and then a step
  // out of order, which the engine must reject).
  void Complain(int64_t at) {
    if (complaints_.empty() || OneIn(5)) {
      const std::string complaint_id = absl::StrCat("C", complaints_.size() + 1);
      const std::string& member_id = Pick(members_);
      const std::string partner_id = OneIn(6) ? "" : absl::StrCat("S", Below(4));
      const std::string category = OneIn(2) ? "service" : "parking";
      Accept(engine_->Execute(
          FileComplaintCommand(complaint_id, member_id, at, partner_id, category)));
      complaints_.push_back(complaint_id);
      return;
    }
    const std::string& id = Pick(complaints_);
    absl::StatusOr<ComplaintView> view = engine_->Complaint(id, AsOf::Now());
    if (!view.ok()) return;  // its filing was rejected
    uint64_t step = Below(5);
    if (!OneIn(8)) {
      switch (view->state) {
        case ComplaintState::kFiled:
        case ComplaintState::kReopened:
          step = 0;
          break;
        case ComplaintState::kReplied:
          step = 1;
          break;
        case ComplaintState::kInvestigating:
          step = 2;
          break;
        case ComplaintState::kResolved:
          step = 3;
          break;
        case ComplaintState::kCustomerNotified:
          step = 4;
          break;
        case ComplaintState::kClosed:
          return;
      }
    }
    switch (step) {
      case 0:
        return Accept(engine_->Execute(ReplyToComplaint{id, v1::CHANNEL_SMS, at, "desk"}));
      case 1:
        return Accept(engine_->Execute(StartInvestigation{id, at, "desk"}));
      case 2: {
        const int64_t goodwill = OneIn(3) ? 1 + static_cast<int64_t>(Below(300)) : 0;
        return Accept(engine_->Execute(ResolveComplaint{id, "apology", goodwill, at, "desk"}));
      }
      case 3:
        return Accept(engine_->Execute(NotifyCustomer{id, v1::CHANNEL_SMS, at, "desk"}));
      default:
        return Accept(engine_->Execute(ConfirmResolution{
            id, !OneIn(3), static_cast<int32_t>(Below(6)), at, "desk"}));
    }
  }

  void Survey(int64_t at) {
    RecordSurvey command;
    command.survey_id = absl::StrCat("Q", ++surveys_);
    command.member_id = Pick(members_);
    if (!complaints_.empty() && OneIn(2)) {
      absl::StatusOr<ComplaintView> view = engine_->Complaint(Pick(complaints_), AsOf::Now());
      if (view.ok()) {
        command.member_id = view->member_id;
        command.complaint_id = view->complaint_id;
      }
    }
    if (command.complaint_id.empty()) command.partner_id = absl::StrCat("S", Below(4));
    command.score = kMinSatisfactionScore +
                    static_cast<int32_t>(Below(kMaxSatisfactionScore - kMinSatisfactionScore + 1));
    command.occurred_at_us = at;
    command.actor_id = "survey-app";
    Accept(engine_->Execute(command));
  }

  // One event that breaks a rule, appended through the ledger.
  void BreakARule(int64_t at) {
    const std::string& member = Pick(members_);
    const std::string n = absl::StrCat(++rule_breaking_events_);
    v1::Envelope envelope =
        EnvelopeOn(absl::StrCat("member-", member), absl::StrCat("raw/", n), at, "raw");
    v1::Event& event = *envelope.mutable_event();
    const std::string purchase = purchases_.empty() ? "P0" : Pick(purchases_);
    switch (Below(8)) {
      case 0:  // a redemption past any balance
        event.mutable_points_redeemed()->set_member_id(member);
        event.mutable_points_redeemed()->set_redemption_id(absl::StrCat("XR", n));
        event.mutable_points_redeemed()->set_points(99999999);
        break;
      case 1:  // a purchase of a member never enrolled
        envelope.set_stream_id(absl::StrCat("member-G", n));
        event.mutable_purchase_recorded()->set_member_id(absl::StrCat("G", n));
        event.mutable_purchase_recorded()->set_purchase_id(absl::StrCat("XP", n));
        event.mutable_purchase_recorded()->set_partner_id("S1");
        event.mutable_purchase_recorded()->set_amount_fen(10000);
        break;
      case 2:  // points of 2^63-1
        event.mutable_points_granted()->set_member_id(member);
        event.mutable_points_granted()->set_points(std::numeric_limits<int64_t>::max());
        event.mutable_points_granted()->set_reason(v1::GRANT_REASON_CAMPAIGN);
        break;
      case 3:  // a purchase id recorded before (this member's or another's)
        event.mutable_purchase_recorded()->set_member_id(member);
        event.mutable_purchase_recorded()->set_purchase_id(purchase);
        event.mutable_purchase_recorded()->set_partner_id("S2");
        event.mutable_purchase_recorded()->set_amount_fen(600000);
        break;
      case 4:  // a refund past what is left, maybe of another member's purchase
        event.mutable_refund_recorded()->set_member_id(member);
        event.mutable_refund_recorded()->set_refund_id(absl::StrCat("XF", n));
        event.mutable_refund_recorded()->set_purchase_id(purchase);
        event.mutable_refund_recorded()->set_amount_fen(1 + static_cast<int64_t>(Below(400000)));
        break;
      case 5: {  // a complaint step out of order, or of a complaint never filed
        const std::string id = complaints_.empty() ? "CX" : Pick(complaints_);
        envelope.set_stream_id(absl::StrCat("complaint-", id));
        event.mutable_customer_notified()->set_complaint_id(id);
        break;
      }
      case 6:  // a valid policy change off the policy stream
        event.mutable_policy_set()->mutable_tiers()->set_window_days(30);
        break;
      default:  // a member's purchase on another member's stream
        envelope.set_stream_id(absl::StrCat("member-", member, "-elsewhere"));
        event.mutable_purchase_recorded()->set_member_id(member);
        event.mutable_purchase_recorded()->set_purchase_id(absl::StrCat("XP", n));
        event.mutable_purchase_recorded()->set_amount_fen(5000000);
        break;
    }
    AppendBatch batch;
    batch.Add(std::move(envelope));
    absl::StatusOr<AppendResult> appended = engine_->ledger().Append(batch);
    EXPECT_TRUE(appended.ok()) << appended.status();
  }

  void ChangeSla(int64_t at) {
    SetPolicy command;
    command.policy_change_id = absl::StrCat("sla-", ++policies_);
    command.change.mutable_sla()->set_reply_working_days(2 + static_cast<int32_t>(Below(3)));
    command.change.mutable_sla()->set_notification_working_days(4 + static_cast<int32_t>(Below(3)));
    command.occurred_at_us = at;
    command.actor_id = "policy-admin";
    Expect(engine_->Execute(command));
  }

  Engine* engine_;
  ManualClock* clock_;
  std::mt19937_64 random_;
  int64_t now_us_ = kHistoryStartUs + 9 * 3600LL * 1000000;
  bool loaded_2025_ = false;
  std::vector<std::string> members_;
  std::vector<std::string> purchases_;
  std::vector<std::string> complaints_;
  int64_t refunds_ = 0;
  int64_t redemptions_ = 0;
  int64_t surveys_ = 0;
  int64_t policies_ = 0;
  bool rule_breaking_ = false;
  int64_t rule_breaking_events_ = 0;
};

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTING_ENGINE_HISTORY_H_
