// Engine::Append: raw events go in only if the engine's own commands would
// have appended them; and no command or event is dated ahead of the clock.
#include <openssl/sha.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "loyalty/engine.h"
#include "loyalty/privacy.h"
#include "privacy/member_key_store.h"
#include "privacy/member_keys.h"
#include "privacy/personal_seal.h"
#include "testing/engine_backend.h"
#include "testing/engine_history.h"
#include "testing/events.h"
#include "testing/temp_dir.h"

namespace loyalty {
namespace {

using ::loyalty::testing::kJan2024Us;
using ::loyalty::testing::TempDir;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr int64_t kHourUs = 3600LL * 1000000;
constexpr int64_t kDayUs = 24 * kHourUs;

v1::Envelope Enrolment(const std::string& member_id, int64_t at_us = kJan2024Us) {
  v1::Envelope envelope = ::loyalty::testing::EnvelopeOn(
      absl::StrCat("member-", member_id), absl::StrCat("enrol/", member_id), at_us, "test");
  envelope.mutable_event()->mutable_member_enrolled()->set_member_id(member_id);
  return envelope;
}

// The points grant RecordPurchase appends after testing::Purchase(...).
v1::Envelope PurchasePoints(const v1::Envelope& purchase, int64_t points) {
  v1::Envelope envelope = ::loyalty::testing::EnvelopeOn(
      purchase.stream_id(), absl::StrCat(purchase.idempotency_key(), "/points"),
      purchase.occurred_at_us(), purchase.actor_id());
  v1::PointsGranted& granted = *envelope.mutable_event()->mutable_points_granted();
  granted.set_member_id(purchase.event().purchase_recorded().member_id());
  granted.set_points(points);
  granted.set_reason(v1::GRANT_REASON_PURCHASE);
  granted.set_purchase_id(purchase.event().purchase_recorded().purchase_id());
  return envelope;
}

v1::Envelope Redemption(const std::string& member_id, const std::string& id, int64_t points,
                        int64_t at_us = kJan2024Us + kDayUs) {
  v1::Envelope envelope = ::loyalty::testing::EnvelopeOn(
      absl::StrCat("member-", member_id), absl::StrCat("redemption/", id), at_us, "test");
  v1::PointsRedeemed& redeemed = *envelope.mutable_event()->mutable_points_redeemed();
  redeemed.set_member_id(member_id);
  redeemed.set_redemption_id(id);
  redeemed.set_points(points);
  return envelope;
}

v1::Envelope ComplaintEvent(const std::string& complaint_id, const std::string& key_suffix,
                            int64_t at_us) {
  v1::Envelope envelope = ::loyalty::testing::EnvelopeOn(
      absl::StrCat("complaint-", complaint_id),
      absl::StrCat("complaint/", complaint_id, "/", key_suffix), at_us, "desk");
  return envelope;
}

AppendBatch BatchOf(std::vector<v1::Envelope> events) {
  AppendBatch batch;
  for (v1::Envelope& envelope : events) batch.Add(std::move(envelope));
  return batch;
}

// The FileDescriptorSet of the envelope's schema, each file after its
// imports, as `protoc --include_imports` writes it.
std::string EnvelopeDescriptorSet() {
  google::protobuf::FileDescriptorSet files;
  std::vector<const google::protobuf::FileDescriptor*> order;
  std::function<void(const google::protobuf::FileDescriptor*)> visit =
      [&](const google::protobuf::FileDescriptor* file) {
        for (const auto* done : order) {
          if (done == file) return;
        }
        for (int i = 0; i < file->dependency_count(); ++i) visit(file->dependency(i));
        order.push_back(file);
      };
  visit(v1::Envelope::descriptor()->file());
  for (const auto* file : order) file->CopyTo(files.add_file());
  return files.SerializeAsString();
}

class EngineAppendTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    engine_.reset();
    EngineOptions options;
    options.ledger.clock = &clock_;
    options.master_key = MasterKeyFromBytes(master_key_);
    auto opened = testing::OpenTestEngine(dir_.Sub("db"), options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    engine_ = std::move(*opened);
  }

  // M1 enrolled, with a purchase of 123.45 CNY: 123 points.
  void Base() {
    const v1::Envelope purchase = testing::Purchase("M1", "P1", 12345);
    auto appended =
        engine_->Append(BatchOf({Enrolment("M1"), purchase, PurchasePoints(purchase, 123)}));
    ASSERT_TRUE(appended.ok()) << appended.status();
    ASSERT_EQ(appended->sequences, (std::vector<uint64_t>{1, 2, 3}));
  }

  uint64_t Head() { return engine_->ledger().Head().sequence; }

  // Appends `events`, asserting it is refused with `code` and appends
  // nothing; returns the refusal's message.
  std::string Refused(std::vector<v1::Envelope> events, absl::StatusCode code) {
    const uint64_t head = Head();
    auto appended = engine_->Append(BatchOf(std::move(events)));
    EXPECT_EQ(appended.status().code(), code) << appended.status();
    EXPECT_EQ(Head(), head);
    return std::string(std::string(appended.status().message()));
  }

  std::string master_key_ = std::string(32, 'k');
  TempDir dir_;
  ManualClock clock_{kJan2024Us + 10 * kDayUs};
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineAppendTest, EventsCommandsWouldAppendAreAppendedAsOneBatch) {
  Base();
  EXPECT_EQ(Head(), 3u);
  auto member = engine_->Member("M1", AsOf::Now());
  ASSERT_TRUE(member.ok()) << member.status();
  EXPECT_EQ(member->available_points, 123);
}

TEST_F(EngineAppendTest, PurchaseOfAMemberNeverEnrolledIsRefused) {
  Base();
  const v1::Envelope purchase = testing::Purchase("M9", "P9", 10000);
  std::string message =
      Refused({purchase, PurchasePoints(purchase, 100)}, absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(message, "event 0: member_id: \"M9\" is not enrolled");
}

TEST_F(EngineAppendTest, RedemptionOverTheBalanceIsRefused) {
  Base();
  std::string message =
      Refused({Redemption("M1", "R1", 99999999)}, absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(message,
              AllOf(StartsWith("event 0: points: "), HasSubstr("requested 99999999 points"),
                    HasSubstr("has 123 available")));
}

TEST_F(EngineAppendTest, PointsOutOfRangeAreRefused) {
  Base();
  v1::Envelope grant = ::loyalty::testing::EnvelopeOn(
      "member-M1", "adjust/A1", kJan2024Us + kDayUs, "operator-7");
  v1::PointsGranted& granted = *grant.mutable_event()->mutable_points_granted();
  granted.set_member_id("M1");
  granted.set_points(std::numeric_limits<int64_t>::max());
  granted.set_reason(v1::GRANT_REASON_ADJUSTMENT);
  granted.set_note("goodwill");
  std::string message = Refused({grant}, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(message, StartsWith("event 0: points: 9223372036854775807 is not in [1, "));

  // A grant "for a purchase" with no purchase before it.
  granted.set_points(1000);
  granted.set_reason(v1::GRANT_REASON_PURCHASE);
  granted.set_purchase_id("P1");
  grant.set_idempotency_key("purchase/P1/points-again");
  message = Refused({grant}, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(message, HasSubstr("only by RecordPurchase"));
}

TEST_F(EngineAppendTest, PurchasePointsOtherThanTheEarningRuleGivesAreRefused) {
  Base();
  const v1::Envelope purchase = testing::Purchase("M1", "P2", 10000);
  std::string message =
      Refused({purchase, PurchasePoints(purchase, 5000)}, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(message,
              AllOf(StartsWith("event 1: points_granted is not what RecordPurchase decides"),
                    HasSubstr("points_granted.points: 100 -> 5000")));

  // The grant left out of the batch: the purchase cannot go alone.
  message = Refused({purchase}, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(message, AllOf(StartsWith("event 0: RecordPurchase emits"),
                             HasSubstr("the batch ends before points_granted")));

  // A key other than the decider's.
  v1::Envelope renamed = PurchasePoints(purchase, 100);
  renamed.set_idempotency_key("grant/P2");
  message = Refused({purchase, renamed}, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(message, StartsWith("event 1: idempotency_key: \"grant/P2\" is "
                                  "not the \"purchase/P2/points\""));
}

TEST_F(EngineAppendTest, ComplaintStepsOutOfOrderAreRefused) {
  Base();
  v1::Envelope filed = ComplaintEvent("C1", "filed", kJan2024Us + kDayUs);
  v1::ComplaintFiled& complaint = *filed.mutable_event()->mutable_complaint_filed();
  complaint.set_complaint_id("C1");
  complaint.set_member_id("M1");
  complaint.set_partner_id("store-1");
  complaint.set_category("service");
  v1::Envelope resolved = ComplaintEvent("C1", "1/resolved", kJan2024Us + 2 * kDayUs);
  resolved.mutable_event()->mutable_complaint_resolved()->set_complaint_id("C1");
  resolved.mutable_event()->mutable_complaint_resolved()->set_resolution("apology");
  std::string message = Refused({filed, resolved}, absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(message,
              AllOf(StartsWith("event 1: ResolveComplaint: complaint \"C1\""), HasSubstr("filed")));

  // In order, the same steps go in.
  v1::Envelope replied = ComplaintEvent("C1", "1/replied", kJan2024Us + kDayUs + kHourUs);
  replied.mutable_event()->mutable_complaint_replied()->set_complaint_id("C1");
  v1::Envelope investigating =
      ComplaintEvent("C1", "1/investigating", kJan2024Us + kDayUs + 2 * kHourUs);
  investigating.mutable_event()->mutable_complaint_investigation_started()->set_complaint_id("C1");
  auto appended = engine_->Append(BatchOf({filed, replied, investigating, resolved}));
  ASSERT_TRUE(appended.ok()) << appended.status();
  auto view = engine_->Complaint("C1", AsOf::Now());
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->state, ComplaintState::kResolved);
}

TEST_F(EngineAppendTest, GoodwillGoesOnlyWithItsResolution) {
  Base();
  v1::Envelope goodwill = ::loyalty::testing::EnvelopeOn(
      "member-M1", "complaint/C1/1/goodwill", kJan2024Us + kDayUs, "desk");
  v1::PointsGranted& granted = *goodwill.mutable_event()->mutable_points_granted();
  granted.set_member_id("M1");
  granted.set_points(50);
  granted.set_reason(v1::GRANT_REASON_GOODWILL);
  granted.set_complaint_id("C1");
  std::string message = Refused({goodwill}, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(message, HasSubstr("only by ResolveComplaint"));
}

TEST_F(EngineAppendTest, EventsNoCommandMakesAreRefused) {
  Base();
  v1::Envelope activity = ::loyalty::testing::EnvelopeOn(
      "member-M1", "activity/A1", kJan2024Us + kDayUs, "events-desk");
  activity.mutable_event()->mutable_activity_attended()->set_member_id("M1");
  std::string message = Refused({activity}, absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(message, "event 0: activity_attended is not an event any engine command makes");
}

TEST_F(EngineAppendTest, ProfileAndConsentChangesNeedAnEnrolledMember) {
  Base();
  v1::Envelope consent = ::loyalty::testing::EnvelopeOn(
      "member-M1", "consent/M1/1", kJan2024Us + kDayUs, "app");
  consent.mutable_event()->mutable_consent_changed()->set_member_id("M1");
  consent.mutable_event()->mutable_consent_changed()->mutable_consent()->set_sms(true);
  auto appended = engine_->Append(BatchOf({consent}));
  ASSERT_TRUE(appended.ok()) << appended.status();

  consent.set_stream_id("member-M2");
  consent.mutable_event()->mutable_consent_changed()->set_member_id("M2");
  consent.set_idempotency_key("consent/M2/1");
  std::string message = Refused({consent}, absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(message, "event 0: member_id: \"M2\" is not enrolled");
}

TEST_F(EngineAppendTest, EachEventIsCheckedAgainstTheEventsBeforeItInTheBatch) {
  Base();
  // The redemption is covered only by the adjustment before it; the second
  // redemption is not. Nothing of the batch goes in.
  v1::Envelope grant = ::loyalty::testing::EnvelopeOn(
      "member-M1", "adjust/A1", kJan2024Us + kDayUs, "operator-7");
  v1::PointsGranted& granted = *grant.mutable_event()->mutable_points_granted();
  granted.set_member_id("M1");
  granted.set_points(1000);
  granted.set_reason(v1::GRANT_REASON_ADJUSTMENT);
  granted.set_note("welcome");
  std::string message = Refused({grant, Redemption("M1", "R1", 1100), Redemption("M1", "R2", 100)},
                                absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(message, AllOf(StartsWith("event 2: "), HasSubstr("has 23 available")));
  auto appended = engine_->Append(BatchOf({grant, Redemption("M1", "R1", 1100)}));
  ASSERT_TRUE(appended.ok()) << appended.status();
}

TEST_F(EngineAppendTest, ARetriedBatchIsDeduplicated) {
  Base();
  v1::Envelope filed = ComplaintEvent("C1", "filed", kJan2024Us + kDayUs);
  v1::ComplaintFiled& complaint = *filed.mutable_event()->mutable_complaint_filed();
  complaint.set_complaint_id("C1");
  complaint.set_member_id("M1");
  complaint.set_category("parking");
  v1::Envelope replied = ComplaintEvent("C1", "1/replied", kJan2024Us + kDayUs + kHourUs);
  replied.mutable_event()->mutable_complaint_replied()->set_complaint_id("C1");
  auto first = engine_->Append(BatchOf({filed, replied, Redemption("M1", "R1", 20)}));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->deduplicated);
  // The deciders would refuse every event now (filed already, replied
  // already, redeemed already): the ledger answers the retry.
  auto retry = engine_->Append(BatchOf({filed, replied, Redemption("M1", "R1", 20)}));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(retry->sequences, first->sequences);
  const v1::Envelope purchase = testing::Purchase("M1", "P1", 12345);
  retry = engine_->Append(BatchOf({Enrolment("M1"), purchase, PurchasePoints(purchase, 123)}));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->sequences, (std::vector<uint64_t>{1, 2, 3}));

  // The same keys for other content are no retry.
  (void)Refused({Redemption("M1", "R1", 21)}, absl::StatusCode::kAlreadyExists);
}

TEST_F(EngineAppendTest, TheCallersExpectedVersionsHold) {
  Base();
  AppendBatch batch = BatchOf({Redemption("M1", "R1", 20)});
  batch.ExpectVersion("member-M1", 2);
  auto appended = engine_->Append(batch);
  EXPECT_EQ(appended.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(std::string(appended.status().message()),
              HasSubstr("expected version 2, actual version 3"));
  batch.ExpectVersion("member-M1", 3);
  appended = engine_->Append(batch);
  ASSERT_TRUE(appended.ok()) << appended.status();
}

TEST_F(EngineAppendTest, WhatTheLedgerRefusesIsRefusedFirst) {
  v1::Envelope enrolment = Enrolment("M1");
  enrolment.set_sequence(9);
  std::string message = Refused({enrolment}, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(message, StartsWith("event 0: sequence: 9 is assigned by the ledger"));
}

TEST_F(EngineAppendTest, EventsDatedAheadOfTheClockAreRefused) {
  Base();
  const v1::Envelope late = testing::Purchase("M1", "P2", 10000, clock_.NowMicros() + 25 * kHourUs);
  std::string message =
      Refused({late, PurchasePoints(late, 100)}, absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(message,
            "event 0: occurred_at_us: 2024-01-12T01:00:00.000000Z is "
            "later than the ledger "
            "clock's now 2024-01-11T00:00:00.000000Z plus the "
            "tolerance of 24h (policy "
            "business_time.future_tolerance_seconds 86400)");
  // Within the tolerance, a till's clock a little ahead, it goes in.
  const v1::Envelope early =
      testing::Purchase("M1", "P3", 10000, clock_.NowMicros() + 23 * kHourUs);
  auto appended = engine_->Append(BatchOf({early, PurchasePoints(early, 100)}));
  EXPECT_TRUE(appended.ok()) << appended.status();
}

TEST_F(EngineAppendTest, ThePolicySetsTheTolerance) {
  Base();
  v1::Envelope policy = ::loyalty::testing::EnvelopeOn(
      "policy", "policy/week-ahead", clock_.NowMicros(), "policy-admin");
  policy.mutable_event()
      ->mutable_policy_set()
      ->mutable_business_time()
      ->set_future_tolerance_seconds(7 * 86400);
  const v1::Envelope late = testing::Purchase("M1", "P2", 10000, clock_.NowMicros() + 3 * kDayUs);
  // The change applies to the events after it, in the same batch too.
  auto appended = engine_->Append(BatchOf({policy, late, PurchasePoints(late, 100)}));
  ASSERT_TRUE(appended.ok()) << appended.status();
  // Past a year it is refused as a policy.
  policy.set_idempotency_key("policy/too-far");
  policy.mutable_event()
      ->mutable_policy_set()
      ->mutable_business_time()
      ->set_future_tolerance_seconds(400 * 86400);
  std::string message = Refused({policy}, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(message, HasSubstr("business_time.future_tolerance_seconds"));
}

// Personal data given in the clear is sealed on the way in, as EnrolMember
// seals it: the log never holds it plain (docs/privacy.md).
TEST_F(EngineAppendTest, PlainPersonalDataIsSealedBeforeItIsAppended) {
  v1::Envelope enrolled = Enrolment("M1");
  v1::PersonalData& plain =
      *enrolled.mutable_event()->mutable_member_enrolled()->mutable_personal()->mutable_plain();
  plain.set_name("Clear Name");
  plain.set_phone("13811112222");
  v1::Envelope profile = ::loyalty::testing::EnvelopeOn(
      "member-M1", "profile/M1/1", kJan2024Us + kDayUs, "app");
  profile.mutable_event()->mutable_member_profile_updated()->set_member_id("M1");
  v1::PersonalData& updated = *profile.mutable_event()
                                   ->mutable_member_profile_updated()
                                   ->mutable_personal()
                                   ->mutable_plain();
  updated.set_name("Clear Name");
  updated.set_email("clear@example.net");
  auto appended = engine_->Append(BatchOf({enrolled, profile}));
  ASSERT_TRUE(appended.ok()) << appended.status();
  EXPECT_EQ(appended->sequences, (std::vector<uint64_t>{1, 2}));
  auto stored = engine_->ledger().Read(1, 2);
  ASSERT_TRUE(stored.ok() && stored->size() == 2);
  EXPECT_TRUE((*stored)[0].event().member_enrolled().personal().has_sealed());
  EXPECT_TRUE((*stored)[1].event().member_profile_updated().personal().has_sealed());
  for (const v1::Envelope& envelope : *stored) {
    EXPECT_EQ(envelope.SerializeAsString().find("Clear Name"), std::string::npos);
  }
  auto personal = engine_->PersonalDataOf("M1");
  ASSERT_TRUE(personal.ok()) << personal.status();
  EXPECT_EQ(personal->email(), "clear@example.net");
  auto first = engine_->RevealPersonal((*stored)[0]);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->phone(), "13811112222");

  // A retry of the same batch, plain again, is answered as a duplicate.
  appended = engine_->Append(BatchOf({enrolled, profile}));
  ASSERT_TRUE(appended.ok()) << appended.status();
  EXPECT_TRUE(appended->deduplicated);
  EXPECT_EQ(appended->sequences, (std::vector<uint64_t>{1, 2}));
  // So is a profile update alone, which the check lets through again (an
  // update may come under any key): it takes its stored sealed data.
  appended = engine_->Append(BatchOf({profile}));
  ASSERT_TRUE(appended.ok()) << appended.status();
  EXPECT_TRUE(appended->deduplicated);
  EXPECT_EQ(appended->sequences, (std::vector<uint64_t>{2}));
  // The same key with other data is not.
  updated.set_email("other@example.net");
  EXPECT_THAT(Refused({profile}, absl::StatusCode::kAlreadyExists), HasSubstr("profile/M1/1"));
  EXPECT_EQ(Head(), 2u);
}

TEST_F(EngineAppendTest, PlainPersonalDataWithoutAMasterKeyIsRefused) {
  engine_.reset();
  EngineOptions options;
  options.ledger.clock = &clock_;
  auto opened = testing::OpenTestEngine(dir_.Sub("db"), options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  engine_ = std::move(*opened);
  v1::Envelope enrolled = Enrolment("M1");
  enrolled.mutable_event()->mutable_member_enrolled()->mutable_personal()->mutable_plain()->set_name(
      "Clear Name");
  std::string message =
      Refused({Enrolment("M2"), enrolled}, absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(message, StartsWith("event 1: personal: member \"M1\" comes with personal data in "
                                  "the clear, which is stored only sealed: no master key"));
  EXPECT_THAT(message, HasSubstr("--master-key FILE"));
  // Without personal data the enrolment needs no key.
  auto appended = engine_->Append(BatchOf({Enrolment("M2")}));
  ASSERT_TRUE(appended.ok()) << appended.status();
}

TEST_F(EngineAppendTest, SealedPersonalDataMustOpenWithTheMembersKey) {
  EnrolMember enrol;
  enrol.member_id = "M1";
  enrol.personal.mutable_plain()->set_name("Before");
  enrol.occurred_at_us = kJan2024Us;
  enrol.actor_id = "desk";
  ASSERT_TRUE(engine_->Execute(enrol).ok());
  engine_.reset();
  // Sealed as the engine seals it: with the member's key, bound to the
  // event's position (member-M1, version 2).
  std::string data_key;
  {
    auto keys = privacy::MemberKeys::Open(
      *testing::OpenTestKeyStore(dir_.Sub("db"), /*read_only=*/true), master_key_);
    ASSERT_TRUE(keys.ok()) << keys.status();
    auto key = (*keys)->DataKey("M1", /*create=*/false, "test");
    ASSERT_TRUE(key.ok()) << key.status();
    data_key = *key;
  }
  Open();
  v1::PersonalData after;
  after.set_name("After");
  auto profile = [&](uint64_t bound_to_version) {
    v1::Envelope envelope = ::loyalty::testing::EnvelopeOn(
        "member-M1", absl::StrCat("profile/M1/", bound_to_version), kJan2024Us + kDayUs, "app");
    v1::MemberProfileUpdated& updated = *envelope.mutable_event()->mutable_member_profile_updated();
    updated.set_member_id("M1");
    auto sealed = privacy::SealPersonalData(
        data_key, after, privacy::PersonalDataAad("M1", "member-M1", bound_to_version));
    EXPECT_TRUE(sealed.ok()) << sealed.status();
    *updated.mutable_personal()->mutable_sealed() = *sealed;
    return envelope;
  };
  std::string message = Refused({profile(3)}, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(message,
              StartsWith("event 0: personal: the sealed data of member \"M1\" does not open"));
  auto appended = engine_->Append(BatchOf({profile(2)}));
  ASSERT_TRUE(appended.ok()) << appended.status();
  auto personal = engine_->PersonalDataOf("M1");
  ASSERT_TRUE(personal.ok()) << personal.status();
  EXPECT_EQ(personal->name(), "After");
}

TEST_F(EngineAppendTest, AnErasureDestroysTheMembersKeyFirst) {
  EnrolMember enrol;
  enrol.member_id = "M1";
  enrol.personal.mutable_plain()->set_name("Gone Soon");
  enrol.occurred_at_us = kJan2024Us;
  enrol.actor_id = "desk";
  ASSERT_TRUE(engine_->Execute(enrol).ok());
  v1::Envelope erased = ::loyalty::testing::EnvelopeOn(
      "member-M1", "erase/M1", kJan2024Us + kDayUs, "privacy-officer");
  erased.mutable_event()->mutable_member_erased()->set_member_id("M1");
  erased.mutable_event()->mutable_member_erased()->set_reason("member request");
  auto appended = engine_->Append(BatchOf({erased}));
  ASSERT_TRUE(appended.ok()) << appended.status();
  auto enrolment = engine_->ledger().Read(1, 1);
  ASSERT_TRUE(enrolment.ok() && enrolment->size() == 1);
  EXPECT_EQ(engine_->RevealPersonal(enrolment->front()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  engine_.reset();
  auto keys = privacy::MemberKeys::Open(
      *testing::OpenTestKeyStore(dir_.Sub("db"), /*read_only=*/true), master_key_);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ((*keys)->DataKey("M1", /*create=*/false, "test").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(EngineAppendTest, BirthdayGrantsAreThoseTheJobGrants) {
  EnrolMember enrol;
  enrol.member_id = "M1";
  v1::LocalDate& birth = *enrol.personal.mutable_plain()->mutable_birth_date();
  birth.set_year(1990);
  birth.set_month(1);
  birth.set_day(5);
  enrol.occurred_at_us = kJan2024Us;
  enrol.actor_id = "desk";
  ASSERT_TRUE(engine_->Execute(enrol).ok());
  auto grant = [](int64_t at_us, const std::string& key) {
    v1::Envelope envelope = ::loyalty::testing::EnvelopeOn("member-M1", key, at_us, "birthday-job");
    v1::PointsGranted& granted = *envelope.mutable_event()->mutable_points_granted();
    granted.set_member_id("M1");
    granted.set_points(200);
    granted.set_reason(v1::GRANT_REASON_BIRTHDAY);
    granted.set_birthday_year(2024);
    return envelope;
  };
  // 6 January, the day after the birthday: the bonus falls due only on the
  // last day of the birth month.
  std::string message = Refused({grant(kJan2024Us + 5 * kDayUs, "birthday/M1/2024")},
                                absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(message, HasSubstr("the bonus is due on 2024-01-31, the last day of the birth month"));
  EXPECT_THAT(message, Not(HasSubstr("1-5")));
  // Nor the bonus of 2023: the member enrolled in 2024.
  v1::Envelope last_year = grant(kJan2024Us + 5 * kDayUs, "birthday/M1/2023");
  last_year.mutable_event()->mutable_points_granted()->set_birthday_year(2023);
  message = Refused({last_year}, absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(message, HasSubstr("the member enrolled after the end of 2023"));
  clock_.Set(kJan2024Us + 32 * kDayUs);
  auto appended = engine_->Append(BatchOf({grant(kJan2024Us + 30 * kDayUs, "birthday/M1/2024")}));
  ASSERT_TRUE(appended.ok()) << appended.status();
  message = Refused({grant(kJan2024Us + 31 * kDayUs, "birthday/M1/2024-again")},
                    absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(message, HasSubstr("the bonus of 2024 is granted already"));
}

TEST_F(EngineAppendTest, SchemaRecordsMustBeWhatAuditorsCanUse) {
  const std::string descriptor_set = EnvelopeDescriptorSet();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(descriptor_set.data()), descriptor_set.size(),
         digest);
  const std::string sha256(reinterpret_cast<const char*>(digest), SHA256_DIGEST_LENGTH);
  v1::Envelope schema = ::loyalty::testing::EnvelopeOn(
      "schema", absl::StrCat("schema/1/", absl::BytesToHexString(sha256)), kJan2024Us, "operator");
  schema.mutable_event()->mutable_schema_registered()->set_descriptor_set(descriptor_set);
  schema.mutable_event()->mutable_schema_registered()->set_descriptor_set_sha256(sha256);

  v1::Envelope garbage = schema;
  garbage.mutable_event()->mutable_schema_registered()->set_descriptor_set("not a descriptor set");
  std::string message = Refused({garbage}, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(message, HasSubstr("descriptor_set: is not a serialized FileDescriptorSet"));
  v1::Envelope wrong_sha = schema;
  wrong_sha.mutable_event()->mutable_schema_registered()->set_descriptor_set_sha256(
      std::string(32, '\0'));
  message = Refused({wrong_sha}, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(message, HasSubstr("descriptor_set_sha256: is not the SHA-256"));
  v1::Envelope wrong_key = schema;
  wrong_key.set_idempotency_key("schema/7/x");
  message = Refused({wrong_key}, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(message, HasSubstr("idempotency_key: \"schema/7/x\" is not the"));

  auto appended = engine_->Append(BatchOf({schema}));
  ASSERT_TRUE(appended.ok()) << appended.status();
}

// A history of real commands, re-appended as raw events into a fresh ledger,
// is accepted whole and gives the same projections; appending it again is a
// retry.
TEST(EngineAppendReplayTest, EventsOfRealCommandsAreAcceptedIntoAFreshLedger) {
  TempDir dir;
  ManualClock clock(testing::kHistoryStartUs);
  EngineOptions options;
  options.ledger.clock = &clock;
  auto original = testing::OpenTestEngine(dir.Sub("original"), options);
  ASSERT_TRUE(original.ok()) << original.status();
  testing::EngineHistory history(original->get(), &clock, 17);
  history.Run(600);
  std::vector<v1::Envelope> events;
  ASSERT_TRUE((*original)
                  ->ledger()
                  .Scan(1, (*original)->ledger().Head().sequence,
                        [&](const v1::Envelope& envelope) {
                          v1::Envelope raw = envelope;
                          raw.clear_sequence();
                          raw.clear_stream_version();
                          raw.clear_recorded_at_us();
                          raw.clear_previous_hash();
                          events.push_back(std::move(raw));
                          return absl::OkStatus();
                        })
                  .ok());
  ASSERT_GT(events.size(), 600u);

  auto copy = testing::OpenTestEngine(dir.Sub("copy"), options);
  ASSERT_TRUE(copy.ok()) << copy.status();
  // Batches of about 10, never split before a decision's second event.
  std::vector<AppendBatch> batches;
  for (size_t i = 0; i < events.size(); ++i) {
    if (batches.empty() || (batches.back().size() >= 10 && !ContinuesDecision(events[i]))) {
      batches.emplace_back();
    }
    batches.back().Add(events[i]);
  }
  std::vector<uint64_t> sequences;
  for (const AppendBatch& batch : batches) {
    auto appended = (*copy)->Append(batch);
    ASSERT_TRUE(appended.ok()) << appended.status() << " at sequence " << sequences.size() + 1;
    EXPECT_FALSE(appended->deduplicated);
    sequences.insert(sequences.end(), appended->sequences.begin(), appended->sequences.end());
  }
  ASSERT_EQ(sequences.size(), events.size());
  EXPECT_EQ(sequences.back(), events.size());

  auto original_view = (*original)->Program(AsOf::Now());
  auto copy_view = (*copy)->Program(AsOf::Now());
  ASSERT_TRUE(original_view.ok() && copy_view.ok());
  ASSERT_EQ(original_view->digests.size(), copy_view->digests.size());
  for (size_t i = 0; i < copy_view->digests.size(); ++i) {
    EXPECT_EQ(HashHex(copy_view->digests[i].digest), HashHex(original_view->digests[i].digest))
        << copy_view->digests[i].name;
  }

  // Every batch again: each is a retry, answered with its first sequences.
  uint64_t next = 1;
  for (const AppendBatch& batch : batches) {
    auto retried = (*copy)->Append(batch);
    ASSERT_TRUE(retried.ok()) << retried.status();
    EXPECT_TRUE(retried->deduplicated);
    EXPECT_EQ(retried->sequences.front(), next);
    next += batch.size();
  }
  EXPECT_EQ((*copy)->ledger().Head().sequence, events.size());
}

}  // namespace
}  // namespace loyalty
