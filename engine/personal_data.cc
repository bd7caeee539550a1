#include "engine/personal_data.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "privacy/aead.h"
#include "privacy/personal_seal.h"
#include "projections/local_time.h"

namespace loyalty::internal {

const v1::Personal* PersonalOf(const v1::Envelope& envelope, std::string* member_id) {
  const v1::Event& event = envelope.event();
  if (event.has_member_enrolled()) {
    *member_id = event.member_enrolled().member_id();
    return &event.member_enrolled().personal();
  }
  if (event.has_member_profile_updated()) {
    *member_id = event.member_profile_updated().member_id();
    return &event.member_profile_updated().personal();
  }
  return nullptr;
}

bool HasPlainPersonal(const v1::Envelope& envelope) {
  std::string member_id;
  const v1::Personal* personal = PersonalOf(envelope, &member_id);
  return personal != nullptr && personal->has_plain();
}

namespace {

v1::Personal* MutablePersonalOf(v1::Envelope& envelope, std::string* member_id) {
  v1::Event& event = *envelope.mutable_event();
  if (event.has_member_enrolled()) {
    *member_id = event.member_enrolled().member_id();
    return event.mutable_member_enrolled()->mutable_personal();
  }
  if (event.has_member_profile_updated()) {
    *member_id = event.member_profile_updated().member_id();
    return event.mutable_member_profile_updated()->mutable_personal();
  }
  return nullptr;
}

}  // namespace

absl::Status PersonalData::Seal(
    projections::Events& events,
    absl::FunctionRef<absl::StatusOr<uint64_t>(const std::string&)> stream_version,
    SealedInput sealed_input) {
  absl::flat_hash_map<std::string, uint64_t> next_version;
  for (v1::Envelope& envelope : events) {
    auto [it, inserted] = next_version.try_emplace(envelope.stream_id(), 0);
    if (inserted) {
      absl::StatusOr<uint64_t> version = stream_version(envelope.stream_id());
      if (!version.ok()) return version.status();
      it->second = *version;
    }
    const uint64_t version = ++it->second;
    std::string member_id;
    v1::Personal* personal = MutablePersonalOf(envelope, &member_id);
    if (personal == nullptr || personal->form_case() == v1::Personal::FORM_NOT_SET) continue;
    if (personal->has_sealed() && sealed_input == SealedInput::kKeep) continue;
    if (!store_problem_.ok()) return store_problem_;
    if (personal->has_sealed()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "personal: member \"", member_id,
          "\" comes with sealed data; give it plain, the engine seals it with the member's key"));
    }
    absl::StatusOr<std::string> key = keys_->DataKey(
        member_id, /*create=*/true, absl::StrCat("recording the personal data of member \"",
                                                 member_id, "\""));
    if (!key.ok()) return key.status();
    absl::StatusOr<std::string> nonce = keys_->Random(privacy::kAeadNonceBytes);
    if (!nonce.ok()) return nonce.status();
    absl::StatusOr<v1::SealedPersonalData> sealed = privacy::SealPersonalData(
        *key, personal->plain(), privacy::PersonalDataAad(member_id, envelope.stream_id(), version),
        *nonce);
    if (!sealed.ok()) return sealed.status();
    *personal->mutable_sealed() = std::move(*sealed);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::PersonalData> PersonalData::Reveal(const v1::Envelope& envelope) const {
  std::string member_id;
  const v1::Personal* personal = PersonalOf(envelope, &member_id);
  if (personal == nullptr || personal->form_case() == v1::Personal::FORM_NOT_SET) {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", envelope.sequence(), " carries no personal data"));
  }
  if (personal->has_plain()) return personal->plain();
  if (!store_problem_.ok()) return store_problem_;
  const std::string purpose =
      absl::StrCat("reading the personal data of member \"", member_id, "\"");
  absl::StatusOr<std::string> key = keys_->DataKey(member_id, /*create=*/false, purpose);
  if (absl::IsNotFound(key.status())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "personal data of member \"", member_id, "\" was erased: its key is destroyed"));
  }
  if (!key.ok()) return key.status();
  return privacy::OpenPersonalData(
      *key, personal->sealed(),
      privacy::PersonalDataAad(member_id, envelope.stream_id(), envelope.stream_version()));
}

absl::StatusOr<projections::BirthDates> PersonalData::BirthDates(const ProjectionSet& set,
                                                                 absl::CivilDay today) {
  if (!keys_->has_master_key()) {
    return privacy::NoMasterKeyError("the birthday job (it reads encrypted birth dates)");
  }
  if (!store_problem_.ok()) return store_problem_;
  projections::BirthDates dates;
  for (const auto& [member_id, entry] : set.member_index()) {
    if (entry.personal_sequence == 0) continue;
    const projections::MemberAccount* account = set.balances().FindMember(member_id);
    if (account == nullptr || projections::BirthdayYearsOpen(*account, today).empty()) continue;
    CachedBirthDate& cached = birth_dates_[member_id];
    if (cached.personal_sequence != entry.personal_sequence) {
      absl::StatusOr<std::vector<v1::Envelope>> read = ledger_->Read(entry.personal_sequence, 1);
      if (!read.ok()) return read.status();
      if (read->empty()) {
        return absl::DataLossError(absl::StrCat("personal data of member \"", member_id,
                                                "\": event ", entry.personal_sequence,
                                                " is not in the log"));
      }
      absl::StatusOr<v1::PersonalData> personal = Reveal(read->front());
      // A member whose key is gone without an erasure in the log (a crash of
      // an older build between the two) has no birthday anyone can read: no
      // bonus, and the job goes on for the others.
      if (absl::IsFailedPrecondition(personal.status())) {
        cached.personal_sequence = entry.personal_sequence;
        cached.has_birth_date = false;
        continue;
      }
      if (!personal.ok()) return personal.status();
      cached.personal_sequence = entry.personal_sequence;
      cached.has_birth_date = personal->has_birth_date();
      cached.birth_date = personal->birth_date();
    }
    if (cached.has_birth_date) dates[member_id] = cached.birth_date;
  }
  return dates;
}

absl::Status PersonalData::Destroy(const std::vector<std::string>& member_ids) {
  if (!store_problem_.ok()) return store_problem_;
  for (const std::string& member_id : member_ids) birth_dates_.erase(member_id);
  return keys_->Destroy(member_ids);
}

absl::Status PersonalData::MarkErasurePending(const std::string& member_id) {
  if (!store_problem_.ok()) return store_problem_;
  if (keys_->store() == nullptr) return absl::OkStatus();  // no key to destroy later
  return keys_->store()->MarkErasurePending(member_id);
}

absl::StatusOr<std::vector<std::string>> PersonalData::PendingErasures() const {
  if (keys_->store() == nullptr) return std::vector<std::string>();
  return keys_->store()->PendingErasures();
}

absl::Status PersonalData::ClearPendingErasures(const std::vector<std::string>& member_ids) {
  if (keys_->store() == nullptr) return absl::OkStatus();
  return keys_->store()->ClearPendingErasures(member_ids);
}

std::vector<RetentionErasure> RetentionCandidates(const ProjectionSet& set,
                                                  absl::CivilDay as_of_day,
                                                  int64_t inactive_days) {
  absl::flat_hash_map<std::string, int64_t> last_active_us;
  for (const auto& [member_id, account] : set.balances().members()) {
    if (account.erased) continue;
    last_active_us[member_id] = std::max(account.enrolled_at_us, account.last_activity_at_us);
  }
  auto note = [&](const std::string& member_id, int64_t at_us) {
    auto it = last_active_us.find(member_id);
    if (it != last_active_us.end()) it->second = std::max(it->second, at_us);
  };
  for (const auto& [complaint_id, complaint] : set.complaints().complaints()) {
    note(complaint.member_id, complaint.last_event_at_us);
  }
  for (const auto& [member_id, entry] : set.member_index()) note(member_id, entry.last_survey_at_us);
  std::vector<RetentionErasure> erasures;
  for (const auto& [member_id, at_us] : last_active_us) {
    if (projections::LocalDayOf(at_us) + inactive_days < as_of_day) {
      erasures.push_back({member_id, at_us, 0});
    }
  }
  std::sort(erasures.begin(), erasures.end(),
            [](const RetentionErasure& a, const RetentionErasure& b) {
              return a.member_id < b.member_id;
            });
  return erasures;
}

}  // namespace loyalty::internal
