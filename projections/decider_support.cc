#include "projections/decider_support.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "loyalty/limits.h"
#include "projections/deciders.h"
#include "text/quoted.h"

namespace loyalty::projections {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::Status CheckText(absl::string_view field, absl::string_view value, size_t max_bytes) {
  if (value.empty()) return Invalid(field, "must not be empty");
  if (value.size() > max_bytes) {
    return Invalid(field, absl::StrCat(Quoted(value), " is ", value.size(),
                                       " bytes, more than the limit of ", max_bytes));
  }
  return absl::OkStatus();
}

}  // namespace

std::string Quoted(absl::string_view value) { return text::Quoted(value); }

absl::Status CheckCommandId(absl::string_view field, absl::string_view value) {
  absl::Status status = CheckText(field, value, kMaxIdBytes);
  if (!status.ok()) return status;
  if (value.find('\0') != absl::string_view::npos) {
    return Invalid(field, absl::StrCat(Quoted(value), " contains a NUL byte"));
  }
  return absl::OkStatus();
}

absl::Status CheckOccurredAtAndActor(int64_t occurred_at_us, absl::string_view actor_id) {
  if (occurred_at_us <= 0) {
    return Invalid("occurred_at_us", absl::StrCat(occurred_at_us, " must be positive"));
  }
  return CheckText("actor_id", actor_id, kMaxActorIdBytes);
}

absl::Status CheckPositive(absl::string_view field, int64_t value, int64_t max) {
  if (value >= 1 && value <= max) return absl::OkStatus();
  return Invalid(field, absl::StrCat(value, " is not in [1, ", max, "]"));
}

absl::Status CheckNote(absl::string_view field, absl::string_view value) {
  return CheckText(field, value, kMaxNoteBytes);
}

absl::Status CheckOptionalNote(absl::string_view field, absl::string_view value) {
  return value.empty() ? absl::OkStatus() : CheckNote(field, value);
}

absl::StatusOr<const MemberAccount*> FindEnrolled(const BalanceProjection& balances,
                                                  absl::string_view member_id) {
  absl::Status status = CheckCommandId("member_id", member_id);
  if (!status.ok()) return status;
  const MemberAccount* account = balances.FindMember(member_id);
  if (account == nullptr) {
    return absl::NotFoundError(absl::StrCat("member_id: ", Quoted(member_id), " is not enrolled"));
  }
  return account;
}

absl::Status CheckNotErased(absl::string_view member_id, const MemberAccount& account) {
  if (!account.erased) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("member_id: ", Quoted(member_id), " is erased"));
}

v1::Envelope NewEnvelope(absl::string_view stream_id, std::string idempotency_key,
                         int64_t occurred_at_us, absl::string_view actor_id) {
  v1::Envelope envelope;
  envelope.set_stream_id(std::string(stream_id));
  envelope.set_idempotency_key(std::move(idempotency_key));
  envelope.set_occurred_at_us(occurred_at_us);
  envelope.set_actor_id(std::string(actor_id));
  return envelope;
}

namespace {
constexpr absl::string_view kMemberStreamPrefix = "member-";
}  // namespace

std::string MemberStreamId(absl::string_view member_id) {
  return absl::StrCat(kMemberStreamPrefix, member_id);
}

absl::string_view MemberIdOfStream(absl::string_view stream_id) {
  if (!absl::ConsumePrefix(&stream_id, kMemberStreamPrefix)) return {};
  return stream_id;
}

}  // namespace loyalty::projections
