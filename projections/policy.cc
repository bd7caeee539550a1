#include "projections/policy.h"

#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "loyalty/limits.h"
#include "projections/local_time.h"

namespace loyalty::projections {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

int64_t IntegerValue(const Message& message, const FieldDescriptor& field) {
  const auto* reflection = message.GetReflection();
  return field.cpp_type() == FieldDescriptor::CPPTYPE_INT64 ? reflection->GetInt64(message, &field)
                                                            : reflection->GetInt32(message, &field);
}

// Copies every non-zero integer field of `change` into `values`.
void MergeNonZero(const Message& change, Message* values) {
  std::vector<const FieldDescriptor*> fields;
  change.GetReflection()->ListFields(change, &fields);
  const auto* to = values->GetReflection();
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_INT64) {
      to->SetInt64(values, field, change.GetReflection()->GetInt64(change, field));
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_INT32) {
      to->SetInt32(values, field, change.GetReflection()->GetInt32(change, field));
    }
  }
}

// InvalidArgument unless every integer field of `message` (but
// `skip_field`) is in [low, high].
absl::Status CheckRange(const Message& message, absl::string_view path, int64_t low, int64_t high,
                        absl::string_view skip_field = "") {
  const auto* descriptor = message.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor& field = *descriptor->field(i);
    if (field.name() == skip_field) continue;
    const int64_t value = IntegerValue(message, field);
    if (value < low || value > high) {
      return absl::InvalidArgumentError(absl::StrCat("policy ", path, ".", field.name(), ": ",
                                                     value, " is not in [", low, ", ", high, "]"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckThresholdsAscending(const v1::TierPolicy& tiers) {
  if (tiers.silver_threshold_fen() < tiers.gold_threshold_fen() &&
      tiers.gold_threshold_fen() < tiers.platinum_threshold_fen()) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "policy tiers: thresholds must ascend strictly, but silver_threshold_fen is ",
      tiers.silver_threshold_fen(), ", gold_threshold_fen ", tiers.gold_threshold_fen(),
      " and platinum_threshold_fen ", tiers.platinum_threshold_fen()));
}

// InvalidArgument unless low <= value <= high.
absl::Status CheckValue(absl::string_view field, int64_t value, int64_t low, int64_t high) {
  if (value >= low && value <= high) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("policy ", field, ": ", value, " is not in [", low, ", ", high, "]"));
}

absl::Status CheckTierValues(const v1::TierPolicy& tiers) {
  absl::Status status =
      CheckValue("tiers.silver_threshold_fen", tiers.silver_threshold_fen(), 1, kMaxThresholdFen);
  if (status.ok()) {
    status =
        CheckValue("tiers.gold_threshold_fen", tiers.gold_threshold_fen(), 1, kMaxThresholdFen);
  }
  if (status.ok()) {
    status = CheckValue("tiers.platinum_threshold_fen", tiers.platinum_threshold_fen(), 1,
                        kMaxThresholdFen);
  }
  if (status.ok()) status = CheckValue("tiers.window_days", tiers.window_days(), 1, kMaxPolicyDays);
  if (status.ok()) {
    status = CheckValue("tiers.protection_days", tiers.protection_days(), 1, kMaxPolicyDays);
  }
  if (!status.ok()) return status;
  return CheckThresholdsAscending(tiers);
}

absl::Status CheckEarningValues(const v1::EarningPolicy& earning) {
  absl::Status status =
      CheckValue("earning.fen_per_point", earning.fen_per_point(), 1, kMaxAmountFen);
  if (!status.ok()) return status;
  return CheckRange(earning, "earning", 1, kMaxMultiplierBp, "fen_per_point");
}

}  // namespace

Policy::Policy() {
  v1::EarningPolicy& earning = *values_.mutable_earning();
  earning.set_fen_per_point(100);
  earning.set_regular_multiplier_bp(10000);
  earning.set_silver_multiplier_bp(12500);
  earning.set_gold_multiplier_bp(15000);
  earning.set_platinum_multiplier_bp(20000);
  v1::TierPolicy& tiers = *values_.mutable_tiers();
  tiers.set_silver_threshold_fen(500000);
  tiers.set_gold_threshold_fen(2000000);
  tiers.set_platinum_threshold_fen(5000000);
  tiers.set_window_days(365);
  tiers.set_protection_days(365);
  values_.mutable_expiry()->set_years_after_grant_year(1);
  values_.mutable_birthday()->set_bonus_points(200);
  values_.mutable_sla()->set_reply_working_days(3);
  values_.mutable_sla()->set_notification_working_days(5);
  values_.mutable_retention()->set_inactive_days(1095);
}

absl::Status Policy::CheckValues(const state::PolicyState& values) {
  absl::Status status = CheckEarningValues(values.earning());
  if (status.ok()) status = CheckTierValues(values.tiers());
  if (status.ok()) status = CheckRange(values.expiry(), "expiry", 1, kMaxYearsAfterGrantYear);
  if (status.ok()) status = CheckRange(values.birthday(), "birthday", 1, kMaxPointsPerEvent);
  if (status.ok()) status = CheckRange(values.sla(), "sla", 1, kMaxPolicyDays);
  if (status.ok()) status = CheckRange(values.retention(), "retention", 1, kMaxPolicyDays);
  if (status.ok()) {
    status = CheckRange(values.business_time(), "business_time", 0, kMaxFutureToleranceSeconds);
  }
  return status;
}

absl::StatusOr<Policy> Policy::With(const v1::PolicySet& change) const {
  const auto* oneof = change.GetDescriptor()->FindOneofByName("policy");
  const FieldDescriptor* field = change.GetReflection()->GetOneofFieldDescriptor(change, oneof);
  if (field == nullptr) return absl::InvalidArgumentError("policy: no policy is set");
  const Message& part = change.GetReflection()->GetMessage(change, field);
  absl::Status status = CheckRange(part, field->name(), 0, std::numeric_limits<int64_t>::max());
  if (!status.ok()) return status;
  Policy result = *this;
  const FieldDescriptor* target = values_.GetDescriptor()->FindFieldByName(field->name());
  MergeNonZero(part, result.values_.GetReflection()->MutableMessage(&result.values_, target));
  status = CheckValues(result.values_);
  if (!status.ok()) return status;
  return result;
}

absl::Status Policy::CheckChange(const v1::PolicySet& change) const {
  return With(change).status();
}

absl::Status Policy::Apply(const v1::PolicySet& change) {
  absl::StatusOr<Policy> changed = With(change);
  if (!changed.ok()) return changed.status();
  *this = *std::move(changed);
  return absl::OkStatus();
}

absl::StatusOr<Policy> Policy::FromValues(const state::PolicyState& values) {
  absl::Status status = CheckValues(values);
  if (!status.ok()) return absl::DataLossError(status.message());
  Policy policy;
  policy.values_ = values;
  return policy;
}

int64_t Policy::multiplier_bp(v1::Tier tier) const {
  const v1::EarningPolicy& earning = values_.earning();
  switch (tier) {
    case v1::TIER_SILVER:
      return earning.silver_multiplier_bp();
    case v1::TIER_GOLD:
      return earning.gold_multiplier_bp();
    case v1::TIER_PLATINUM:
      return earning.platinum_multiplier_bp();
    default:
      return earning.regular_multiplier_bp();
  }
}

int64_t Policy::threshold_fen(v1::Tier tier) const {
  const v1::TierPolicy& tiers = values_.tiers();
  switch (tier) {
    case v1::TIER_SILVER:
      return tiers.silver_threshold_fen();
    case v1::TIER_GOLD:
      return tiers.gold_threshold_fen();
    case v1::TIER_PLATINUM:
      return tiers.platinum_threshold_fen();
    default:
      return 0;
  }
}

v1::Tier Policy::TierForSpend(int64_t qualifying_spend_fen) const {
  for (v1::Tier tier : {v1::TIER_PLATINUM, v1::TIER_GOLD, v1::TIER_SILVER}) {
    if (qualifying_spend_fen >= threshold_fen(tier)) return tier;
  }
  return v1::TIER_REGULAR;
}

int64_t Policy::future_tolerance_us() const {
  const int64_t seconds = values_.business_time().future_tolerance_seconds();
  return (seconds == 0 ? kDefaultFutureToleranceSeconds : seconds) * 1'000'000;
}

int64_t Policy::window_us() const { return values_.tiers().window_days() * kMicrosPerDay; }

int64_t Policy::protection_us() const { return values_.tiers().protection_days() * kMicrosPerDay; }

}  // namespace loyalty::projections
