// Who may be contacted, on which channel, for which purpose (contract
// clauses 5.2 and 6.2), from the consents the log records: the enrolment's
// and each ConsentChanged after it, until erasure. Pure: no personal data is
// read, only the consent flags, which are not personal.
#ifndef LOYALTY_PROJECTIONS_CONTACT_CONSENT_H_
#define LOYALTY_PROJECTIONS_CONTACT_CONSENT_H_

#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "loyalty/v1/envelope.pb.h"
#include "loyalty/views.h"

namespace loyalty::projections {

// The rule, in one place: whether a member with `consent` may be contacted
// on `channel` for `purpose`.
//  - Birthday care (relationship management, clause 5.2) needs the
//    channel's consent only.
//  - Offers (marketing) need the marketing consent and the channel's.
// data_analysis plays no part: it governs analysis, not contact.
bool MayContact(const v1::Consent& consent, ContactChannel channel, ContactPurpose purpose);

// The consent of record of each member, and whether they are erased. An
// event counts only on the member's own stream ("member-<id>"): the first
// enrolment sets the consent, a ConsentChanged of an enrolled member not
// erased replaces it whole, an erasure ends it for good. Anything else
// (a second enrolment, a change before enrolment or after erasure) changes
// nothing: the log may hold such events (docs/reliability.md), and none of
// them may make a member contactable.
class ContactConsents {
 public:
  void Apply(const v1::Envelope& envelope);

  // The members that may be contacted on `channel` for `purpose`, ascending:
  // enrolled, not erased, MayContact.
  std::vector<std::string> Contactable(ContactChannel channel, ContactPurpose purpose) const;

  // A deterministic encoding for the engine's checkpoint (not a projection
  // digest): "contact-consents/1\n", then per member, by id, the C-escaped id,
  // a tab and the flags (m, s, e, d for marketing, sms, email, data_analysis;
  // x for erased; - for none).
  std::string Encode() const;
  // DataLoss for bytes Encode did not make.
  absl::Status Decode(absl::string_view bytes);

 private:
  struct Entry {
    v1::Consent consent;
    bool erased = false;
  };
  absl::btree_map<std::string, Entry> members_;
};

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_CONTACT_CONSENT_H_
