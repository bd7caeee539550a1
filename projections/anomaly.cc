#include "projections/anomaly.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "projections/replay.h"

namespace loyalty::projections {
namespace {

// How much of a quoted value a message shows.
constexpr size_t kMaxQuotedBytes = 64;

}  // namespace

void AnomalyLog::Record(const v1::Envelope& envelope, absl::string_view rule,
                        std::string message) {
  if (kept_.size() >= kMaxAnomaliesKept) {
    ++not_kept_;
    return;
  }
  kept_.push_back({envelope.sequence(), envelope.stream_id(), std::string(rule),
                   std::move(message)});
}

void AnomalyLog::ToState(state::AnomalyLog* out) const {
  out->Clear();
  for (const Anomaly& anomaly : kept_) {
    state::Anomaly& entry = *out->add_kept();
    entry.set_sequence(anomaly.sequence);
    entry.set_stream_id(anomaly.stream_id);
    entry.set_rule(anomaly.rule);
    entry.set_message(anomaly.message);
  }
  out->set_not_kept(not_kept_);
}

absl::StatusOr<AnomalyLog> AnomalyLog::FromState(const state::AnomalyLog& in,
                                                 absl::string_view projection_name) {
  if (static_cast<uint64_t>(in.kept_size()) > kMaxAnomaliesKept) {
    return CorruptState(projection_name, absl::StrCat(in.kept_size(), " anomalies kept, more than ",
                                                      kMaxAnomaliesKept));
  }
  if (in.not_kept() > 0 && static_cast<uint64_t>(in.kept_size()) < kMaxAnomaliesKept) {
    return CorruptState(projection_name, absl::StrCat(in.not_kept(), " anomalies not kept while ",
                                                      in.kept_size(), " are"));
  }
  AnomalyLog log;
  for (const state::Anomaly& entry : in.kept()) {
    if (entry.rule().empty()) return CorruptState(projection_name, "an anomaly names no rule");
    // Sequence 0 (an event previewed before it is appended) may repeat.
    if (!log.kept_.empty() && entry.sequence() < log.kept_.back().sequence) {
      return CorruptState(projection_name, "the anomalies are not in log order");
    }
    log.kept_.push_back({entry.sequence(), entry.stream_id(), entry.rule(), entry.message()});
  }
  log.not_kept_ = in.not_kept();
  return log;
}

std::string QuotedForAnomaly(absl::string_view value) {
  if (value.size() <= kMaxQuotedBytes) return absl::StrCat("\"", absl::CHexEscape(value), "\"");
  return absl::StrCat("\"", absl::CHexEscape(value.substr(0, kMaxQuotedBytes)), "\"... (",
                      value.size(), " bytes)");
}

}  // namespace loyalty::projections
