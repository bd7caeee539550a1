// Engine::Contactable: whom a service may message, on which channel, for
// which purpose, from the consents in the log (docs/privacy.md, "Consent
// and purpose").
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/projection_store.h"
#include "gtest/gtest.h"
#include "loyalty/engine.h"
#include "loyalty/privacy.h"
#include "testing/engine_backend.h"
#include "testing/events.h"
#include "testing/temp_dir.h"

namespace loyalty {
namespace {

using ::loyalty::testing::kJan2024Us;
using ::loyalty::testing::TempDir;
using Ids = std::vector<std::string>;

constexpr int64_t kDayUs = 86400LL * 1000000;

v1::Consent ConsentOf(bool marketing, bool sms, bool email) {
  v1::Consent consent;
  consent.set_marketing(marketing);
  consent.set_sms(sms);
  consent.set_email(email);
  consent.set_data_analysis(true);
  return consent;
}

class EngineContactTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(MasterKeyFromBytes(std::string(32, 'k'))); }

  void Open(MasterKeySource key, uint64_t checkpoint_interval_events = 0) {
    engine_.reset();
    EngineOptions options;
    options.ledger.clock = &clock_;
    options.master_key = std::move(key);
    if (checkpoint_interval_events > 0) {
      options.checkpoint_interval_events = checkpoint_interval_events;
    }
    auto opened = testing::OpenTestEngine(dir_.Sub("db"), options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    engine_ = std::move(*opened);
  }

  void Enrol(const std::string& member_id, const v1::Consent& consent, int64_t at_us) {
    EnrolMember command;
    command.member_id = member_id;
    command.personal.mutable_plain()->set_phone("13900000000");
    command.consent = consent;
    command.occurred_at_us = at_us;
    command.actor_id = "counter";
    auto result = engine_->Execute(command);
    ASSERT_TRUE(result.ok()) << result.status();
  }

  // No command changes a consent: the service that records one appends it.
  void ChangeConsent(const std::string& member_id, const v1::Consent& consent, int64_t at_us) {
    v1::Envelope envelope = ::loyalty::testing::EnvelopeOn(
        absl::StrCat("member-", member_id), absl::StrCat("consent/", member_id, "/", at_us), at_us,
        "app");
    v1::ConsentChanged& changed = *envelope.mutable_event()->mutable_consent_changed();
    changed.set_member_id(member_id);
    *changed.mutable_consent() = consent;
    AppendBatch batch;
    batch.Add(std::move(envelope));
    auto result = engine_->Append(batch);
    ASSERT_TRUE(result.ok()) << result.status();
  }

  void Erase(const std::string& member_id, int64_t at_us) {
    auto result = engine_->Execute(EraseMember{member_id, "member request", at_us, "privacy"});
    ASSERT_TRUE(result.ok()) << result.status();
  }

  Ids Contactable(ContactChannel channel, ContactPurpose purpose, AsOf as_of = AsOf::Now()) {
    absl::StatusOr<ContactableView> view = engine_->Contactable(channel, purpose, as_of);
    EXPECT_TRUE(view.ok()) << view.status();
    if (!view.ok()) return {"error"};
    EXPECT_EQ(view->channel, channel);
    EXPECT_EQ(view->purpose, purpose);
    return view->member_ids;
  }

  // The four lists, as one string per channel and purpose, for comparing
  // whole states.
  std::vector<Ids> All(AsOf as_of) {
    return {Contactable(ContactChannel::kSms, ContactPurpose::kBirthdayCare, as_of),
            Contactable(ContactChannel::kSms, ContactPurpose::kOffers, as_of),
            Contactable(ContactChannel::kEmail, ContactPurpose::kBirthdayCare, as_of),
            Contactable(ContactChannel::kEmail, ContactPurpose::kOffers, as_of)};
  }

  TempDir dir_;
  ManualClock clock_{kJan2024Us + 300 * kDayUs};
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineContactTest, ContactableFollowsEnrolmentWithdrawalRegrantAndErasureAsOfEachPoint) {
  Enrol("M1", ConsentOf(true, true, false), kJan2024Us);   // offers and care by SMS
  Enrol("M2", ConsentOf(false, true, true), kJan2024Us);   // care by SMS and e-mail
  Enrol("M3", ConsentOf(true, false, true), kJan2024Us);   // offers and care by e-mail
  Enrol("M4", ConsentOf(false, false, false), kJan2024Us); // nothing
  const uint64_t enrolled = engine_->ledger().Head().sequence;
  EXPECT_EQ(Contactable(ContactChannel::kSms, ContactPurpose::kBirthdayCare), Ids({"M1", "M2"}));
  EXPECT_EQ(Contactable(ContactChannel::kSms, ContactPurpose::kOffers), Ids{"M1"});
  EXPECT_EQ(Contactable(ContactChannel::kEmail, ContactPurpose::kBirthdayCare), Ids({"M2", "M3"}));
  EXPECT_EQ(Contactable(ContactChannel::kEmail, ContactPurpose::kOffers), Ids{"M3"});

  ChangeConsent("M1", ConsentOf(true, false, false), kJan2024Us + kDayUs);  // SMS withdrawn
  const uint64_t withdrawn = engine_->ledger().Head().sequence;
  clock_.Set(kJan2024Us + 301 * kDayUs);
  const int64_t withdrawn_recorded_us = clock_.NowMicros();
  EXPECT_EQ(Contactable(ContactChannel::kSms, ContactPurpose::kOffers), Ids{});
  EXPECT_EQ(Contactable(ContactChannel::kSms, ContactPurpose::kBirthdayCare), Ids{"M2"});

  clock_.Set(kJan2024Us + 302 * kDayUs);
  ChangeConsent("M1", ConsentOf(true, true, true), kJan2024Us + 2 * kDayUs);  // granted again
  const uint64_t regranted = engine_->ledger().Head().sequence;
  EXPECT_EQ(Contactable(ContactChannel::kSms, ContactPurpose::kOffers), Ids{"M1"});
  EXPECT_EQ(Contactable(ContactChannel::kEmail, ContactPurpose::kOffers), Ids({"M1", "M3"}));

  Erase("M3", kJan2024Us + 3 * kDayUs);
  const std::vector<Ids> now = All(AsOf::Now());
  EXPECT_EQ(now, (std::vector<Ids>{{"M1", "M2"}, {"M1"}, {"M1", "M2"}, {"M1"}}));

  // As of each earlier point, by sequence and by recorded time.
  EXPECT_EQ(All(AsOf::Sequence(enrolled)),
            (std::vector<Ids>{{"M1", "M2"}, {"M1"}, {"M2", "M3"}, {"M3"}}));
  EXPECT_EQ(All(AsOf::Sequence(withdrawn)),
            (std::vector<Ids>{{"M2"}, {}, {"M2", "M3"}, {"M3"}}));
  EXPECT_EQ(All(AsOf::RecordedTime(withdrawn_recorded_us)), All(AsOf::Sequence(withdrawn)));
  // By business time: the regrant (recorded last, dated on day 2) counts
  // from day 2 on, the erasure (dated on day 3) from day 3 on.
  EXPECT_EQ(All(AsOf::BusinessTime(kJan2024Us + kDayUs)), All(AsOf::Sequence(withdrawn)));
  EXPECT_EQ(All(AsOf::BusinessTime(kJan2024Us + 2 * kDayUs)),
            (std::vector<Ids>{{"M1", "M2"}, {"M1"}, {"M1", "M2", "M3"}, {"M1", "M3"}}));
  EXPECT_EQ(All(AsOf::BusinessTime(kJan2024Us + 3 * kDayUs)), now);
  EXPECT_EQ(All(AsOf::Sequence(regranted)),
            (std::vector<Ids>{{"M1", "M2"}, {"M1"}, {"M1", "M2", "M3"}, {"M1", "M3"}}));
  EXPECT_EQ(All(AsOf::Sequence(engine_->ledger().Head().sequence)), now);
  EXPECT_EQ(All(AsOf::Sequence(0)), (std::vector<Ids>{{}, {}, {}, {}}));
  auto view = engine_->Contactable(ContactChannel::kSms, ContactPurpose::kOffers,
                                   AsOf::Sequence(withdrawn));
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->as_of_sequence, withdrawn);
}

// No personal data is read: without the master key the answer is the same,
// and it survives a checkpoint and a reopen.
TEST_F(EngineContactTest, NeedsNoMasterKeyAndSurvivesCheckpoints) {
  Enrol("M1", ConsentOf(true, true, true), kJan2024Us);
  Enrol("M2", ConsentOf(false, true, false), kJan2024Us);
  ChangeConsent("M2", ConsentOf(false, false, false), kJan2024Us + kDayUs);
  Erase("M1", kJan2024Us + 2 * kDayUs);
  Enrol("M3", ConsentOf(true, false, true), kJan2024Us + 3 * kDayUs);
  const std::vector<Ids> expected = {{}, {}, {"M3"}, {"M3"}};
  EXPECT_EQ(All(AsOf::Now()), expected);
  ASSERT_TRUE(engine_->Checkpoint().ok());
  Open(MasterKeySource());
  EXPECT_EQ(All(AsOf::Now()), expected);
  EXPECT_EQ(All(AsOf::Sequence(engine_->ledger().Head().sequence)), expected);
  // The live state after a checkpoint at every event equals a replay.
  Open(MasterKeyFromBytes(std::string(32, 'k')), /*checkpoint_interval_events=*/1);
  ChangeConsent("M3", ConsentOf(true, true, true), kJan2024Us + 4 * kDayUs);
  Open(MasterKeySource());
  EXPECT_EQ(All(AsOf::Now()), (std::vector<Ids>{{"M3"}, {"M3"}, {"M3"}, {"M3"}}));
  auto rebuilt = engine_->Rebuild();
  EXPECT_TRUE(rebuilt.ok()) << rebuilt.status();
}

// A checkpoint saved by a build before the consents were kept has no state
// for them: it is set aside and rebuilt from the log, not trusted as empty.
TEST_F(EngineContactTest, ACheckpointWithoutTheConsentsIsRebuiltFromTheLog) {
  Enrol("M1", ConsentOf(true, true, true), kJan2024Us);
  ASSERT_TRUE(engine_->Checkpoint().ok());
  engine_.reset();
  {
    auto store =
        internal::ProjectionStore::Open(dir_.Sub("db") + "/projections", /*read_only=*/false);
    ASSERT_TRUE(store.ok()) << store.status();
    auto checkpoint = store.value()->Load();
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
    ASSERT_GT(checkpoint->applied_sequence, 0u);
    std::vector<std::pair<std::string, std::string>> older;
    for (auto& [name, state] : checkpoint->states) {
      if (name != "contact-consents") older.emplace_back(name, state);
    }
    ASSERT_EQ(older.size() + 1, checkpoint->states.size());
    checkpoint->states = older;
    ASSERT_TRUE(store.value()->Clear().ok());
    ASSERT_TRUE(store.value()->Save(*checkpoint).ok());
  }
  Open(MasterKeySource());
  EXPECT_EQ(All(AsOf::Now()), (std::vector<Ids>{{"M1"}, {"M1"}, {"M1"}, {"M1"}}));
}

}  // namespace
}  // namespace loyalty
