// Personal data through the engine: sealed at rest, revealed through the
// member's key, erased for good, purged by retention (docs/privacy.md).
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/rocksdb_ledger.h"
#include "loyalty/engine.h"
#include "loyalty/privacy.h"
#include "privacy/member_key_store.h"
#include "testing/commands.h"
#include "testing/engine_backend.h"
#include "testing/events.h"
#include "testing/temp_dir.h"

namespace loyalty {
namespace {

using ::loyalty::testing::FilesHolding;
using ::loyalty::testing::kJan2024Us;
using ::loyalty::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr int64_t kDayUs = 86400LL * 1000000;
constexpr char kName[] = "Ouyang Xiuzhen-7731";
constexpr char kPhone[] = "13800457731";

class EnginePrivacyTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(MasterKeyFromBytes(master_key_)); }

  void Open(MasterKeySource key) {
    engine_.reset();
    EngineOptions options;
    options.ledger.clock = &clock_;
    options.master_key = std::move(key);
    auto opened = testing::OpenTestEngine(dir_.Sub("db"), options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    engine_ = std::move(*opened);
  }

  EnrolMember EnrolCommand(const std::string& member_id, int month = 6, int day = 15) {
    EnrolMember command = testing::EnrolBornOnCommand(member_id, 1990, month, day, kJan2024Us);
    v1::PersonalData& personal = *command.personal.mutable_plain();
    personal.set_name(member_id == "M1" ? kName : absl::StrCat("Member ", member_id));
    personal.set_phone(member_id == "M1" ? kPhone : "13900000000");
    personal.set_email(absl::StrCat(member_id, "@example.com"));
    return command;
  }

  void Enrol(const std::string& member_id, int month = 6, int day = 15,
             int64_t at_us = kJan2024Us) {
    EnrolMember command = EnrolCommand(member_id, month, day);
    command.occurred_at_us = at_us;
    auto result = engine_->Execute(command);
    ASSERT_TRUE(result.ok()) << result.status();
  }

  absl::StatusOr<CommandResult> Purchase(const std::string& member_id, const std::string& id,
                                         int64_t at_us) {
    RecordPurchase command = testing::PurchaseCommand(id, member_id, 10000, at_us, "P1");
    command.category = "fashion";
    return engine_->Execute(command);
  }

  absl::StatusOr<CommandResult> Erase(const std::string& member_id) {
    EraseMember command;
    command.member_id = member_id;
    command.reason = "member request";
    command.occurred_at_us = kJan2024Us + 10 * kDayUs;
    command.actor_id = "privacy-officer";
    return engine_->Execute(command);
  }

  std::string master_key_ = std::string(32, '\x5a');
  TempDir dir_;
  // Late in 2024: the commands of the tests are dated in the year before it
  // (nothing may be dated ahead of the ledger clock).
  ManualClock clock_{kJan2024Us + 300 * kDayUs};
  std::unique_ptr<Engine> engine_;
};

TEST_F(EnginePrivacyTest, PersonalDataIsSealedInTheLogAndRoundTrips) {
  Enrol("M1");
  absl::StatusOr<v1::PersonalData> personal = engine_->PersonalDataOf("M1");
  ASSERT_TRUE(personal.ok()) << personal.status();
  EXPECT_EQ(personal->name(), kName);
  EXPECT_EQ(personal->phone(), kPhone);
  EXPECT_EQ(personal->birth_date().month(), 6);
  absl::StatusOr<std::vector<v1::Envelope>> events = engine_->ledger().Read(1, 1);
  ASSERT_TRUE(events.ok() && events->size() == 1);
  const v1::Personal& stored = events->front().event().member_enrolled().personal();
  EXPECT_TRUE(stored.has_sealed());
  EXPECT_EQ(events->front().SerializeAsString().find(kName), std::string::npos);
  absl::StatusOr<v1::PersonalData> revealed = engine_->RevealPersonal(events->front());
  ASSERT_TRUE(revealed.ok()) << revealed.status();
  EXPECT_EQ(revealed->phone(), kPhone);
  // The engine seals: sealed data from the caller is refused.
  EnrolMember presealed = EnrolCommand("M2");
  *presealed.personal.mutable_sealed() = stored.sealed();
  EXPECT_EQ(engine_->Execute(presealed).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->PersonalDataOf("M9").status().code(), absl::StatusCode::kNotFound);
  // Reopened: still readable through the stored key.
  Open(MasterKeyFromBytes(master_key_));
  personal = engine_->PersonalDataOf("M1");
  ASSERT_TRUE(personal.ok()) << personal.status();
  EXPECT_EQ(personal->name(), kName);
}

// Logs written before sealing hold plain personal data: no build writes it
// any more, but such logs are read, and their data reads as erased once the
// member is erased (the bytes stay: the log is never rewritten).
TEST_F(EnginePrivacyTest, PlainPersonalDataOfOlderLogsIsStillRead) {
  engine_.reset();
  {
    internal::StorageHooks older_build;
    older_build.allow_plain_personal = true;
    LedgerOptions options;
    options.clock = &clock_;
    auto ledger = internal::RocksDbLedger::Open(dir_.Sub("db"), options, older_build);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    v1::Envelope enrolled = ::loyalty::testing::EnvelopeOn(
        "member-M1", "enrol/M1", kJan2024Us, "counter");
    enrolled.mutable_event()->mutable_member_enrolled()->set_member_id("M1");
    *enrolled.mutable_event()->mutable_member_enrolled()->mutable_personal()->mutable_plain() =
        EnrolCommand("M1").personal.plain();
    AppendBatch batch;
    batch.Add(enrolled);
    auto appended = (*ledger)->Append(batch);
    ASSERT_TRUE(appended.ok()) << appended.status();
  }
  Open(MasterKeyFromBytes(master_key_));
  absl::StatusOr<v1::PersonalData> personal = engine_->PersonalDataOf("M1");
  ASSERT_TRUE(personal.ok()) << personal.status();
  EXPECT_EQ(personal->name(), kName);
  ASSERT_TRUE(Erase("M1").ok());
  EXPECT_THAT(std::string(engine_->PersonalDataOf("M1").status().message()),
              HasSubstr("was erased"));
  absl::StatusOr<std::vector<v1::Envelope>> events = engine_->ledger().Read(1, 1);
  ASSERT_TRUE(events.ok() && events->size() == 1);
  EXPECT_EQ(engine_->RevealPersonal(events->front()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(engine_->ledger().Verify(1, 2).ok());
}

// Services that embed the engine get the tool's guarantee: a key file its
// group or others may read is refused at open (MasterKeyFileOptions).
TEST_F(EnginePrivacyTest, AKeyFileOthersMayReadIsRefusedAtOpen) {
  engine_.reset();
  const std::string key_path = dir_.Sub("db.key");
  ASSERT_TRUE(CreateMasterKeyFile(key_path).ok());
  ASSERT_EQ(::chmod(key_path.c_str(), 0644), 0);
  EngineOptions options;
  options.ledger.clock = &clock_;
  options.master_key = MasterKeyFromFile(key_path);
  auto opened = testing::OpenTestEngine(dir_.Sub("db"), options);
  ASSERT_EQ(opened.status().code(), absl::StatusCode::kPermissionDenied) << opened.status();
  EXPECT_THAT(std::string(opened.status().message()),
              HasSubstr(absl::StrCat("mode 0644 lets its group or others access it; run `chmod "
                                     "600 ",
                                     key_path, "`")));
  MasterKeyFileOptions allowed;
  allowed.allow_group_or_other_access = true;
  options.master_key = MasterKeyFromFile(key_path, allowed);
  opened = testing::OpenTestEngine(dir_.Sub("db"), options);
  EXPECT_TRUE(opened.ok()) << opened.status();
}

TEST_F(EnginePrivacyTest, WithoutMasterKeyPersonalDataIsRefusedAndTheRestWorks) {
  Enrol("M1");
  Open(MasterKeySource());
  const ChainHead before = engine_->ledger().Head();
  absl::Status status = engine_->Execute(EnrolCommand("M2")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()), StartsWith("no master key:"));
  EXPECT_EQ(engine_->ledger().Head().sequence, before.sequence);
  status = engine_->PersonalDataOf("M1").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()), StartsWith("no master key:"));
  GrantBirthdayBonuses job;
  job.occurred_at_us = kJan2024Us + 200 * kDayUs;
  job.actor_id = "birthday-job";
  EXPECT_EQ(engine_->Execute(job).status().code(), absl::StatusCode::kFailedPrecondition);
  // Non-personal commands and queries go on.
  EXPECT_TRUE(Purchase("M1", "P-1", kJan2024Us + kDayUs).ok());
  EnrolMember anonymous = EnrolCommand("M3");
  anonymous.personal.Clear();
  EXPECT_TRUE(engine_->Execute(anonymous).ok());
  EXPECT_TRUE(engine_->Member("M1", AsOf::Now()).ok());
}

TEST_F(EnginePrivacyTest, WrongMasterKeyIsRejectedAndNothingIsWritten) {
  Enrol("M1");
  engine_.reset();
  std::vector<std::string> keys_before;
  {
    auto store = testing::OpenTestKeyStore(dir_.Sub("db"), /*read_only=*/false);
    ASSERT_TRUE(store.ok());
    keys_before = *(*store)->MemberIds();
  }
  EngineOptions options;
  options.ledger.clock = &clock_;
  options.master_key = MasterKeyFromBytes(std::string(32, '\x11'));
  auto opened = testing::OpenTestEngine(dir_.Sub("db"), options);
  ASSERT_EQ(opened.status().code(), absl::StatusCode::kPermissionDenied) << opened.status();
  EXPECT_THAT(std::string(opened.status().message()), HasSubstr("master key"));
  options.master_key = MasterKeyFromBytes("too short");
  EXPECT_EQ(testing::OpenTestEngine(dir_.Sub("db"), options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.master_key = [] { return absl::StatusOr<std::string>(absl::NotFoundError("no key")); };
  EXPECT_EQ(testing::OpenTestEngine(dir_.Sub("db"), options).status().code(), absl::StatusCode::kNotFound);
  {
    auto store = testing::OpenTestKeyStore(dir_.Sub("db"), /*read_only=*/false);
    ASSERT_TRUE(store.ok());
    EXPECT_EQ(*(*store)->MemberIds(), keys_before);
  }
  Open(MasterKeyFromBytes(master_key_));
  EXPECT_EQ(engine_->ledger().Head().sequence, 1u);
  EXPECT_TRUE(engine_->PersonalDataOf("M1").ok());
}

TEST_F(EnginePrivacyTest, ErasureKeepsTheChainAndFiguresAndLeavesNoTraceOnDisk) {
  Enrol("M1");
  Enrol("M2");
  ASSERT_TRUE(Purchase("M1", "P-1", kJan2024Us + kDayUs).ok());
  ASSERT_TRUE(Purchase("M2", "P-2", kJan2024Us + kDayUs).ok());
  absl::StatusOr<ProgramView> before = engine_->Program(AsOf::Now());
  ASSERT_TRUE(before.ok());
  engine_.reset();
  std::string wrapped_key;
  {
    auto store = testing::OpenTestKeyStore(dir_.Sub("db"), /*read_only=*/false);
    ASSERT_TRUE(store.ok());
    auto wrapped = (*store)->Get("M1");
    ASSERT_TRUE(wrapped.ok() && wrapped->has_value());
    wrapped_key = **wrapped;
  }
  EXPECT_THAT(FilesHolding(dir_.path(), wrapped_key), Not(IsEmpty()));
  Open(MasterKeyFromBytes(master_key_));

  absl::StatusOr<CommandResult> erased = Erase("M1");
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_TRUE(engine_->ledger().Verify(1, engine_->ledger().Head().sequence).ok());
  absl::Status status = engine_->PersonalDataOf("M1").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()), HasSubstr("was erased on 2024-01-11 (member request)"));
  absl::StatusOr<std::vector<v1::Envelope>> enrolment = engine_->ledger().Read(1, 1);
  ASSERT_TRUE(enrolment.ok());
  EXPECT_EQ(engine_->RevealPersonal(enrolment->front()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // The other member is untouched.
  EXPECT_TRUE(engine_->PersonalDataOf("M2").ok());
  // Figures stay; new commands for the erased member are refused.
  absl::StatusOr<ProgramView> after = engine_->Program(AsOf::Now());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->liability.outstanding_points, before->liability.outstanding_points);
  absl::StatusOr<MemberView> member = engine_->Member("M1", AsOf::Now());
  ASSERT_TRUE(member.ok());
  EXPECT_TRUE(member->erased);
  EXPECT_EQ(member->available_points, 100);
  EXPECT_EQ(Purchase("M1", "P-3", kJan2024Us + 20 * kDayUs).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Erase("M1").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(engine_->Execute(EnrolCommand("M1")).status().code(),
            absl::StatusCode::kAlreadyExists);
  engine_.reset();

  EXPECT_THAT(FilesHolding(dir_.path(), kName), IsEmpty());
  EXPECT_THAT(FilesHolding(dir_.path(), kPhone), IsEmpty());
  EXPECT_THAT(FilesHolding(dir_.path(), wrapped_key), IsEmpty());
  Open(MasterKeyFromBytes(master_key_));
  EXPECT_TRUE(engine_->ledger().Verify(1, engine_->ledger().Head().sequence).ok());
  EXPECT_TRUE(engine_->Rebuild().ok());
}

TEST_F(EnginePrivacyTest, BirthdayJobReadsThroughTheKeyAndSkipsErasedMembers) {
  Enrol("M1", 1, 5);
  Enrol("M2", 1, 6);
  Enrol("M3", 12, 30);
  ASSERT_TRUE(Erase("M2").ok());
  GrantBirthdayBonuses job;
  job.occurred_at_us = kJan2024Us + 30 * kDayUs;  // 31 January
  job.actor_id = "birthday-job";
  absl::StatusOr<CommandResult> granted = engine_->Execute(job);
  ASSERT_TRUE(granted.ok()) << granted.status();
  ASSERT_EQ(granted->sequences.size(), 1u);
  absl::StatusOr<std::vector<v1::Envelope>> event =
      engine_->ledger().Read(granted->sequences.front(), 1);
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event->front().stream_id(), "member-M1");
  // Again after a reopen (the birth dates are not in any checkpoint).
  Open(MasterKeySource(MasterKeyFromBytes(master_key_)));
  absl::StatusOr<CommandResult> again = engine_->Execute(job);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->sequences, granted->sequences);
  EXPECT_TRUE(again->deduplicated);
}

TEST_F(EnginePrivacyTest, RetentionErasesExactlyTheInactiveMembersOnce) {
  const int64_t jan2020_us = kJan2024Us - (365 * 4 + 1) * kDayUs;  // 2020-01-01
  // The history up to 2023 is recorded on the run's day.
  clock_.Set(kJan2024Us);
  Enrol("M1", 6, 15, jan2020_us);  // purchase in March 2020: inactive
  Enrol("M2", 6, 15, jan2020_us);  // purchase in June 2023: active
  Enrol("M3", 6, 15, jan2020_us);  // survey in 2023: active
  Enrol("M4", 6, 15, jan2020_us);  // nothing since enrolment: inactive
  Enrol("M5", 6, 15, kJan2024Us - 100 * kDayUs);  // enrolled recently: active
  ASSERT_TRUE(Purchase("M1", "P-1", jan2020_us + 60 * kDayUs).ok());
  ASSERT_TRUE(Purchase("M2", "P-2", kJan2024Us - 200 * kDayUs).ok());
  RecordSurvey survey;
  survey.survey_id = "S1";
  survey.member_id = "M3";
  survey.score = 4;
  survey.occurred_at_us = kJan2024Us - 300 * kDayUs;
  survey.actor_id = "survey";
  ASSERT_TRUE(engine_->Execute(survey).ok());
  // Figures as of the run's day, when M1's 2020 points have expired already:
  // erasure changes none of them.
  clock_.Set(kJan2024Us);
  const int64_t points_before = engine_->Program(AsOf::Now())->liability.outstanding_points;
  EXPECT_EQ(points_before, 100);

  absl::StatusOr<std::vector<RetentionErasure>> erased =
      engine_->RunRetention(absl::CivilDay(2024, 1, 1), "retention-job");
  ASSERT_TRUE(erased.ok()) << erased.status();
  ASSERT_EQ(erased->size(), 2u);
  EXPECT_EQ((*erased)[0].member_id, "M1");
  EXPECT_EQ((*erased)[1].member_id, "M4");
  EXPECT_GT((*erased)[0].sequence, 0u);
  absl::Status status = engine_->PersonalDataOf("M1").status();
  EXPECT_THAT(std::string(status.message()), HasSubstr("(retention: inactive since 2020-03-01)"));
  for (const char* active : {"M2", "M3", "M5"}) EXPECT_TRUE(engine_->PersonalDataOf(active).ok());
  EXPECT_EQ(engine_->Program(AsOf::Now())->liability.outstanding_points, points_before);

  absl::StatusOr<std::vector<RetentionErasure>> again =
      engine_->RunRetention(absl::CivilDay(2024, 1, 1), "retention-job");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(engine_->RunRetention(absl::CivilDay(2024, 1, 1), "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(engine_->ledger().Verify(1, engine_->ledger().Head().sequence).ok());
}

// Case 9 of the hostile campaign: an erasure is recorded before the key is
// destroyed, and an open finishes one a crash interrupted.
TEST_F(EnginePrivacyTest, AnOpenFinishesAnErasureWhoseEventIsInTheLog) {
  Enrol("M1");
  Enrol("M2");
  // What a crash after the append and before the key's destruction leaves:
  // the mark and the event, the key still there.
  engine_.reset();
  {
    auto store = testing::OpenTestKeyStore(dir_.Sub("db"), /*read_only=*/false);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->MarkErasurePending("M1").ok());
  }
  {
    LedgerOptions options;
    options.clock = &clock_;
    auto ledger = testing::OpenTestLedger(dir_.Sub("db"), options);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    v1::Envelope erased = ::loyalty::testing::EnvelopeOn(
        "member-M1", "erase/M1", kJan2024Us + kDayUs, "dpo");
    erased.mutable_event()->mutable_member_erased()->set_member_id("M1");
    erased.mutable_event()->mutable_member_erased()->set_reason("member request");
    AppendBatch batch;
    batch.Add(erased);
    ASSERT_TRUE((*ledger)->Append(batch).ok());
  }
  std::vector<std::string> notices;
  EngineOptions options;
  options.ledger.clock = &clock_;
  options.master_key = MasterKeyFromBytes(master_key_);
  options.notice = [&](absl::string_view message) { notices.emplace_back(message); };
  auto opened = testing::OpenTestEngine(dir_.Sub("db"), options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  engine_ = std::move(*opened);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_THAT(notices[0], HasSubstr("finished the erasure of member \"M1\""));
  EXPECT_EQ(engine_->Metrics().engine->erasures_completed_on_open_total, 1u);
  engine_.reset();
  auto store = testing::OpenTestKeyStore(dir_.Sub("db"), /*read_only=*/false);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*(*store)->MemberIds(), std::vector<std::string>{"M2"});
  EXPECT_THAT(*(*store)->PendingErasures(), IsEmpty());
}

TEST_F(EnginePrivacyTest, AnOpenDropsTheMarkOfAnErasureThatNeverReachedTheLog) {
  Enrol("M1");
  engine_.reset();
  {
    auto store = testing::OpenTestKeyStore(dir_.Sub("db"), /*read_only=*/false);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->MarkErasurePending("M1").ok());
  }
  Open(MasterKeyFromBytes(master_key_));
  // Not erased: the data reads, purchases go on, and a real erasure works.
  EXPECT_TRUE(engine_->PersonalDataOf("M1").ok());
  EXPECT_TRUE(Purchase("M1", "P-1", kJan2024Us + kDayUs).ok());
  EXPECT_TRUE(Erase("M1").ok());
  EXPECT_EQ(engine_->PersonalDataOf("M1").status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(EnginePrivacyTest, ErasureAppendsItsEventBeforeTheKeyIsDestroyed) {
  Enrol("M1");
  ASSERT_TRUE(Erase("M1").ok());
  // A retry finds the erasure in the log (FailedPrecondition, as before) and
  // leaves no key behind either way.
  EXPECT_EQ(Erase("M1").status().code(), absl::StatusCode::kFailedPrecondition);
  engine_.reset();
  auto store = testing::OpenTestKeyStore(dir_.Sub("db"), /*read_only=*/false);
  ASSERT_TRUE(store.ok());
  EXPECT_THAT(*(*store)->MemberIds(), IsEmpty());
  EXPECT_THAT(*(*store)->PendingErasures(), IsEmpty());
}

TEST_F(EnginePrivacyTest, AReadOnlyEngineReadsPersonalDataAndRefusesCommands) {
  Enrol("M1");
  engine_.reset();
  EngineOptions options;
  options.ledger.clock = &clock_;
  options.ledger.read_only = true;
  options.master_key = MasterKeyFromBytes(master_key_);
  auto opened = testing::OpenTestEngine(dir_.Sub("db"), options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  absl::StatusOr<v1::PersonalData> personal = (*opened)->PersonalDataOf("M1");
  ASSERT_TRUE(personal.ok()) << personal.status();
  EXPECT_EQ(personal->name(), kName);
  EXPECT_EQ((*opened)->Execute(EnrolCommand("M2")).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EraseMember erase;
  erase.member_id = "M1";
  erase.reason = "member request";
  erase.occurred_at_us = kJan2024Us + kDayUs;
  erase.actor_id = "dpo";
  EXPECT_EQ((*opened)->Execute(erase).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE((*opened)->PersonalDataOf("M1").ok());
}

}  // namespace
}  // namespace loyalty
