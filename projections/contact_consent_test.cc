#include "projections/contact_consent.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace loyalty::projections {
namespace {

using Ids = std::vector<std::string>;

v1::Consent ConsentOf(bool marketing, bool sms, bool email) {
  v1::Consent consent;
  consent.set_marketing(marketing);
  consent.set_sms(sms);
  consent.set_email(email);
  return consent;
}

v1::Envelope OnStream(const std::string& member_id, uint64_t sequence) {
  v1::Envelope envelope;
  envelope.set_stream_id(absl::StrCat("member-", member_id));
  envelope.set_sequence(sequence);
  return envelope;
}

v1::Envelope Enrolled(const std::string& member_id, const v1::Consent& consent,
                      uint64_t sequence) {
  v1::Envelope envelope = OnStream(member_id, sequence);
  v1::MemberEnrolled& enrolled = *envelope.mutable_event()->mutable_member_enrolled();
  enrolled.set_member_id(member_id);
  *enrolled.mutable_consent() = consent;
  return envelope;
}

v1::Envelope Changed(const std::string& member_id, const v1::Consent& consent,
                     uint64_t sequence) {
  v1::Envelope envelope = OnStream(member_id, sequence);
  v1::ConsentChanged& changed = *envelope.mutable_event()->mutable_consent_changed();
  changed.set_member_id(member_id);
  *changed.mutable_consent() = consent;
  return envelope;
}

v1::Envelope Erased(const std::string& member_id, uint64_t sequence) {
  v1::Envelope envelope = OnStream(member_id, sequence);
  envelope.mutable_event()->mutable_member_erased()->set_member_id(member_id);
  return envelope;
}

// The rule, every combination of the flags that matter.
TEST(MayContactTest, BirthdayCareNeedsTheChannelOffersNeedMarketingToo) {
  for (bool marketing : {false, true}) {
    for (bool sms : {false, true}) {
      for (bool email : {false, true}) {
        const v1::Consent consent = ConsentOf(marketing, sms, email);
        const std::string flags = absl::StrCat(marketing, sms, email);
        EXPECT_EQ(MayContact(consent, ContactChannel::kSms, ContactPurpose::kBirthdayCare), sms)
            << flags;
        EXPECT_EQ(MayContact(consent, ContactChannel::kEmail, ContactPurpose::kBirthdayCare),
                  email)
            << flags;
        EXPECT_EQ(MayContact(consent, ContactChannel::kSms, ContactPurpose::kOffers),
                  marketing && sms)
            << flags;
        EXPECT_EQ(MayContact(consent, ContactChannel::kEmail, ContactPurpose::kOffers),
                  marketing && email)
            << flags;
      }
    }
  }
  // Consent to analysis is no consent to contact.
  v1::Consent analysis;
  analysis.set_data_analysis(true);
  analysis.set_marketing(true);
  EXPECT_FALSE(MayContact(analysis, ContactChannel::kSms, ContactPurpose::kOffers));
  EXPECT_FALSE(MayContact(analysis, ContactChannel::kEmail, ContactPurpose::kBirthdayCare));
}

TEST(ContactConsentsTest, AChangeReplacesTheConsentWholeAndAnErasureIsForGood) {
  ContactConsents consents;
  consents.Apply(Enrolled("M1", ConsentOf(true, true, false), 1));
  consents.Apply(Enrolled("M2", ConsentOf(false, true, true), 2));
  EXPECT_EQ(consents.Contactable(ContactChannel::kSms, ContactPurpose::kOffers), Ids{"M1"});
  EXPECT_EQ(consents.Contactable(ContactChannel::kSms, ContactPurpose::kBirthdayCare),
            Ids({"M1", "M2"}));
  EXPECT_EQ(consents.Contactable(ContactChannel::kEmail, ContactPurpose::kBirthdayCare),
            Ids{"M2"});
  EXPECT_EQ(consents.Contactable(ContactChannel::kEmail, ContactPurpose::kOffers), Ids{});

  // Withdrawn: a change replaces the consent whole.
  consents.Apply(Changed("M1", ConsentOf(true, false, false), 3));
  EXPECT_EQ(consents.Contactable(ContactChannel::kSms, ContactPurpose::kOffers), Ids{});
  EXPECT_EQ(consents.Contactable(ContactChannel::kSms, ContactPurpose::kBirthdayCare), Ids{"M2"});
  // Granted again.
  consents.Apply(Changed("M1", ConsentOf(true, true, true), 4));
  EXPECT_EQ(consents.Contactable(ContactChannel::kSms, ContactPurpose::kOffers), Ids{"M1"});
  EXPECT_EQ(consents.Contactable(ContactChannel::kEmail, ContactPurpose::kOffers), Ids{"M1"});

  // Erased: gone for good, whatever comes after.
  consents.Apply(Erased("M2", 5));
  consents.Apply(Changed("M2", ConsentOf(true, true, true), 6));
  consents.Apply(Enrolled("M2", ConsentOf(true, true, true), 7));
  EXPECT_EQ(consents.Contactable(ContactChannel::kSms, ContactPurpose::kBirthdayCare), Ids{"M1"});
  EXPECT_EQ(consents.Contactable(ContactChannel::kEmail, ContactPurpose::kBirthdayCare),
            Ids{"M1"});
}

// Events that break a rule (docs/reliability.md) never make anyone
// contactable: a change before enrolment, a second enrolment, an event off
// the member's own stream.
TEST(ContactConsentsTest, EventsThatBreakARuleChangeNothing) {
  ContactConsents consents;
  consents.Apply(Changed("M1", ConsentOf(true, true, true), 1));
  EXPECT_EQ(consents.Contactable(ContactChannel::kSms, ContactPurpose::kBirthdayCare), Ids{});
  consents.Apply(Enrolled("M1", ConsentOf(false, false, false), 2));
  consents.Apply(Enrolled("M1", ConsentOf(true, true, true), 3));
  EXPECT_EQ(consents.Contactable(ContactChannel::kSms, ContactPurpose::kBirthdayCare), Ids{});
  v1::Envelope elsewhere = Changed("M1", ConsentOf(true, true, true), 4);
  elsewhere.set_stream_id("member-M2");
  consents.Apply(elsewhere);
  v1::Envelope enrolled_elsewhere = Enrolled("M3", ConsentOf(true, true, true), 5);
  enrolled_elsewhere.set_stream_id("policy");
  consents.Apply(enrolled_elsewhere);
  EXPECT_EQ(consents.Contactable(ContactChannel::kSms, ContactPurpose::kBirthdayCare), Ids{});
  // An erasure off the member's stream erases nothing.
  consents.Apply(Changed("M1", ConsentOf(false, true, false), 6));
  v1::Envelope erased_elsewhere = Erased("M1", 7);
  erased_elsewhere.set_stream_id("member-M9");
  consents.Apply(erased_elsewhere);
  EXPECT_EQ(consents.Contactable(ContactChannel::kSms, ContactPurpose::kBirthdayCare), Ids{"M1"});
}

TEST(ContactConsentsTest, EncodeDecodeRoundTrips) {
  ContactConsents consents;
  consents.Apply(Enrolled("M1", ConsentOf(true, true, false), 1));
  consents.Apply(Enrolled("tab\tid", ConsentOf(false, false, true), 2));
  consents.Apply(Enrolled("M3", ConsentOf(false, false, false), 3));
  consents.Apply(Enrolled("M4", ConsentOf(true, true, true), 4));
  consents.Apply(Erased("M4", 5));
  const std::string bytes = consents.Encode();
  EXPECT_EQ(bytes, "contact-consents/1\nM1\tms\nM3\t-\nM4\tx\ntab\\tid\te\n");
  ContactConsents restored;
  ASSERT_TRUE(restored.Decode(bytes).ok());
  EXPECT_EQ(restored.Encode(), bytes);
  // The erasure is kept: a later change does not bring M4 back.
  restored.Apply(Changed("M4", ConsentOf(true, true, true), 6));
  EXPECT_EQ(restored.Contactable(ContactChannel::kSms, ContactPurpose::kOffers), Ids{"M1"});

  for (const std::string& bad :
       {std::string(""), std::string("contact-consents/1\nM1\n"),
        std::string("contact-consents/1\nM1\tq\n"), std::string("contact-consents/1\nM1\t-s\n"),
        std::string("contact-consents/2\nM1\ts\n")}) {
    EXPECT_EQ(restored.Decode(bad).code(), absl::StatusCode::kDataLoss) << bad;
  }
}

}  // namespace
}  // namespace loyalty::projections
