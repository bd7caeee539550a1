#include "projections/contact_consent.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "projections/deciders.h"

namespace loyalty::projections {
namespace {

constexpr absl::string_view kFormat = "contact-consents/1";

bool ChannelConsent(const v1::Consent& consent, ContactChannel channel) {
  switch (channel) {
    case ContactChannel::kSms:
      return consent.sms();
    case ContactChannel::kEmail:
      return consent.email();
  }
  return false;
}

// Whether `envelope` is on the stream of `member_id` itself.
bool OnOwnStream(const v1::Envelope& envelope, const std::string& member_id) {
  return !member_id.empty() && MemberIdOfStream(envelope.stream_id()) == member_id;
}

}  // namespace

bool MayContact(const v1::Consent& consent, ContactChannel channel, ContactPurpose purpose) {
  if (!ChannelConsent(consent, channel)) return false;
  switch (purpose) {
    case ContactPurpose::kBirthdayCare:
      return true;
    case ContactPurpose::kOffers:
      return consent.marketing();
  }
  return false;
}

void ContactConsents::Apply(const v1::Envelope& envelope) {
  const v1::Event& event = envelope.event();
  if (event.has_member_enrolled()) {
    const v1::MemberEnrolled& enrolled = event.member_enrolled();
    if (!OnOwnStream(envelope, enrolled.member_id())) return;
    members_.try_emplace(enrolled.member_id(), Entry{enrolled.consent(), false});
  } else if (event.has_consent_changed()) {
    const v1::ConsentChanged& changed = event.consent_changed();
    if (!OnOwnStream(envelope, changed.member_id())) return;
    auto member = members_.find(changed.member_id());
    if (member == members_.end() || member->second.erased) return;
    member->second.consent = changed.consent();
  } else if (event.has_member_erased()) {
    const v1::MemberErased& erased = event.member_erased();
    if (!OnOwnStream(envelope, erased.member_id())) return;
    auto member = members_.find(erased.member_id());
    if (member == members_.end()) return;
    member->second.erased = true;
    member->second.consent.Clear();
  }
}

std::vector<std::string> ContactConsents::Contactable(ContactChannel channel,
                                                      ContactPurpose purpose) const {
  std::vector<std::string> member_ids;
  for (const auto& [member_id, entry] : members_) {
    if (!entry.erased && MayContact(entry.consent, channel, purpose)) {
      member_ids.push_back(member_id);
    }
  }
  return member_ids;
}

std::string ContactConsents::Encode() const {
  std::string out = absl::StrCat(kFormat, "\n");
  for (const auto& [member_id, entry] : members_) {
    const std::string flags = absl::StrCat(
        entry.consent.marketing() ? "m" : "", entry.consent.sms() ? "s" : "",
        entry.consent.email() ? "e" : "", entry.consent.data_analysis() ? "d" : "",
        entry.erased ? "x" : "");
    absl::StrAppend(&out, absl::CEscape(member_id), "\t",
                    flags.empty() ? absl::string_view("-") : absl::string_view(flags), "\n");
  }
  return out;
}

absl::Status ContactConsents::Decode(absl::string_view bytes) {
  absl::btree_map<std::string, Entry> members;
  if (!absl::ConsumePrefix(&bytes, absl::StrCat(kFormat, "\n"))) {
    return absl::DataLossError("contact-consents checkpoint: no \"contact-consents/1\" header");
  }
  for (absl::string_view line : absl::StrSplit(bytes, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, '\t');
    std::string member_id;
    bool ok = fields.size() == 2 && absl::CUnescape(fields[0], &member_id) && !fields[1].empty();
    Entry entry;
    for (size_t i = 0; ok && i < fields[1].size(); ++i) {
      switch (fields[1][i]) {
        case 'm': entry.consent.set_marketing(true); break;
        case 's': entry.consent.set_sms(true); break;
        case 'e': entry.consent.set_email(true); break;
        case 'd': entry.consent.set_data_analysis(true); break;
        case 'x': entry.erased = true; break;
        case '-': ok = fields[1].size() == 1; break;
        default: ok = false;
      }
    }
    if (!ok) {
      return absl::DataLossError(
          absl::StrCat("contact-consents checkpoint: bad line \"", absl::CHexEscape(line), "\""));
    }
    members.insert_or_assign(std::move(member_id), std::move(entry));
  }
  members_ = std::move(members);
  return absl::OkStatus();
}

}  // namespace loyalty::projections
