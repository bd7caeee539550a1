// The engine's side of personal data: sealing it in the events a command
// makes, revealing it through the member's key, the birth dates the birthday
// job needs, and which members retention erases. See docs/privacy.md.
//
// Thread safety: called under the engine's lock, except RevealPersonal and
// PersonalDataFromStream, which only read.
#ifndef LOYALTY_ENGINE_PERSONAL_DATA_H_
#define LOYALTY_ENGINE_PERSONAL_DATA_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "replay/projection_set.h"
#include "loyalty/ledger.h"
#include "loyalty/privacy.h"
#include "privacy/member_keys.h"
#include "projections/deciders.h"

namespace loyalty::internal {

// The member id of an event that carries personal data (enrolment, profile
// update) and that data; nullptr for any other event.
const v1::Personal* PersonalOf(const v1::Envelope& envelope, std::string* member_id);

// Whether `envelope` carries personal data in the clear (`plain`), which
// the ledger refuses to store (CheckNoPlainPersonal).
bool HasPlainPersonal(const v1::Envelope& envelope);

class PersonalData {
 public:
  // `store_problem`: why the member key store could not be opened (a
  // read-only open goes on without it); every use of the keys then fails
  // with it.
  PersonalData(std::unique_ptr<privacy::MemberKeys> keys, const Ledger* ledger,
               absl::Status store_problem = absl::OkStatus())
      : keys_(std::move(keys)), ledger_(ledger), store_problem_(std::move(store_problem)) {}

  // What Seal does with personal data that comes sealed already.
  enum class SealedInput {
    // InvalidArgument: a command's data is given plain, only the engine
    // seals (EnrolMember).
    kRefuse,
    // Left as it is: a raw event's sealed data, which the raw batch check
    // opened with the member's key (Engine::Append).
    kKeep,
  };

  // Seals, in place, the plain personal data of every event of `events`
  // (creating the member's key on first use), bound to the member and the
  // stream version the event will get: `stream_version(stream)` is the
  // stream's version before the events, and each event of a stream comes
  // one version after the one before it. FailedPrecondition without a
  // master key.
  absl::Status Seal(projections::Events& events,
                    absl::FunctionRef<absl::StatusOr<uint64_t>(const std::string&)> stream_version,
                    SealedInput sealed_input = SealedInput::kRefuse);

  // The personal data `envelope` carries: its plain data as stored (logs
  // written before sealing), or its sealed data opened with the member's
  // key. FailedPrecondition "... was erased" when the key is destroyed, or
  // without a master key; InvalidArgument for an event with no personal data.
  absl::StatusOr<v1::PersonalData> Reveal(const v1::Envelope& envelope) const;

  // The birth dates of the members of `set` that the birthday job on
  // `today` may grant a bonus: not erased, a year open
  // (projections::BirthdayYearsOpen), personal data recorded with a birth
  // date. Decrypts through the keys, remembering what
  // it read (in memory only) until the member's personal data changes.
  absl::StatusOr<projections::BirthDates> BirthDates(const ProjectionSet& set,
                                                     absl::CivilDay today);

  // Destroys the members' keys (and their erasure marks) and forgets what
  // was read of them.
  absl::Status Destroy(const std::vector<std::string>& member_ids);

  // The erasure marks of privacy::MemberKeyStore (none without a store).
  absl::Status MarkErasurePending(const std::string& member_id);
  absl::StatusOr<std::vector<std::string>> PendingErasures() const;
  absl::Status ClearPendingErasures(const std::vector<std::string>& member_ids);

  bool has_master_key() const { return keys_->has_master_key(); }
  const privacy::MemberKeys& keys() const { return *keys_; }

 private:
  struct CachedBirthDate {
    uint64_t personal_sequence = 0;
    bool has_birth_date = false;
    v1::LocalDate birth_date;
  };

  std::unique_ptr<privacy::MemberKeys> keys_;
  const Ledger* const ledger_;
  const absl::Status store_problem_;
  absl::flat_hash_map<std::string, CachedBirthDate> birth_dates_;
};

// The members of `set` that retention erases on `as_of_day`: enrolled, not
// erased, and whose last activity (purchase, redemption, complaint event,
// survey; the enrolment when none) has a local day D with
// D + inactive_days < as_of_day. In member id order.
std::vector<RetentionErasure> RetentionCandidates(const ProjectionSet& set,
                                                  absl::CivilDay as_of_day,
                                                  int64_t inactive_days);

}  // namespace loyalty::internal

#endif  // LOYALTY_ENGINE_PERSONAL_DATA_H_
