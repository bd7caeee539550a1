// Replaying an audit bundle's events without a ledger.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "replay/projection_set.h"
#include "ledger/event_decode.h"
#include "loyalty/audit.h"
#include "util/sha256.h"

namespace loyalty::audit {
namespace {

using ::loyalty::internal::ProjectionSet;

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

// The `from` and `to` lines of a bundle's manifest.
absl::Status ReadRange(const std::string& bundle_directory, uint64_t* from, uint64_t* to) {
  const std::string path = bundle_directory + "/manifest.txt";
  std::ifstream file(path);
  if (!file) {
    return absl::UnavailableError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::stringstream text;
  text << file.rdbuf();
  bool have_from = false, have_to = false;
  for (absl::string_view line : absl::StrSplit(text.str(), '\n')) {
    if (absl::ConsumePrefix(&line, "from ")) have_from = absl::SimpleAtoi(line, from);
    if (absl::ConsumePrefix(&line, "to ")) have_to = absl::SimpleAtoi(line, to);
  }
  if (!have_from || !have_to || *from < 1 || *to < *from) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no valid from and to lines"));
  }
  return absl::OkStatus();
}

// Reads the records of events.bin one at a time.
class EventReader {
 public:
  static absl::StatusOr<EventReader> Open(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) {
      return absl::UnavailableError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
    }
    return EventReader(file);
  }

  // The next record into `*bytes`; false at the end of the file.
  absl::StatusOr<bool> Next(uint64_t sequence, std::string* bytes) {
    uint64_t length = 0;
    for (int shift = 0;; shift += 7) {
      const int byte = std::getc(file_.get());
      if (byte == EOF) {
        if (shift == 0) return false;
        return Truncated(sequence);
      }
      if (shift > 28) {
        return absl::DataLossError(absl::StrCat("sequence ", sequence, ": length out of range"));
      }
      length |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) break;
    }
    if (length > kMaxEventBytes) {
      return absl::DataLossError(
          absl::StrCat("sequence ", sequence, ": ", length, " bytes, more than an event may hold"));
    }
    bytes->resize(length);
    if (std::fread(bytes->data(), 1, length, file_.get()) != length) return Truncated(sequence);
    return true;
  }

 private:
  explicit EventReader(std::FILE* file) : file_(file) {}
  static absl::Status Truncated(uint64_t sequence) {
    return absl::DataLossError(absl::StrCat("sequence ", sequence, ": events.bin is truncated"));
  }
  std::unique_ptr<std::FILE, FileCloser> file_;
};

}  // namespace

absl::StatusOr<ProgramView> ReplayBundle(const std::string& bundle_directory, AsOf as_of,
                                         uint64_t* events_applied) {
  uint64_t from = 0, to = 0;
  absl::Status status = ReadRange(bundle_directory, &from, &to);
  if (!status.ok()) return status;
  if (from != 1) {
    return absl::InvalidArgumentError(absl::StrCat("the bundle starts at sequence ", from,
                                                   ": a replay needs every event from sequence 1"));
  }
  absl::StatusOr<EventReader> reader = EventReader::Open(bundle_directory + "/events.bin");
  if (!reader.ok()) return reader.status();
  const bool by_recorded_time = as_of.kind() == AsOf::Kind::kRecordedTime;
  const bool by_business_time = as_of.kind() == AsOf::Kind::kBusinessTime;
  const uint64_t last = as_of.kind() == AsOf::Kind::kSequence ? std::min(as_of.sequence(), to) : to;
  ProjectionSet set;
  Hash chain{};
  uint64_t applied = 0;
  int64_t last_occurred_at_us = 0;
  std::string bytes;
  v1::Envelope envelope;
  for (uint64_t sequence = 1; sequence <= last; ++sequence) {
    absl::StatusOr<bool> more = reader->Next(sequence, &bytes);
    if (!more.ok()) return more.status();
    if (!*more) {
      return absl::DataLossError(absl::StrCat("sequence ", sequence, ": missing from events.bin"));
    }
    absl::Status decoded = loyalty::internal::DecodeEvent(sequence, bytes, &envelope);
    if (!decoded.ok()) return decoded;
    if (envelope.sequence() != sequence) {
      return absl::DataLossError(absl::StrCat(
          "sequence ", sequence, ": the event in its place says sequence ", envelope.sequence()));
    }
    if (envelope.previous_hash() != util::DigestBytes(chain)) {
      return absl::DataLossError(absl::StrCat("sequence ", sequence - 1,
                                              ": its bytes do not hash to the previous_hash that "
                                              "sequence ",
                                              sequence, " records"));
    }
    chain = util::Sha256({util::DigestBytes(chain), bytes});
    if (by_recorded_time && envelope.recorded_at_us() > as_of.instant_us()) {
      break;  // ledger time never decreases: the rest was recorded later
    }
    if (by_business_time && envelope.occurred_at_us() > as_of.instant_us()) continue;
    absl::Status applied_status = set.Apply(envelope);
    if (!applied_status.ok()) return applied_status;
    ++applied;
    last_occurred_at_us = envelope.occurred_at_us();
  }
  if (by_recorded_time || by_business_time) {
    set.AdvanceTo(as_of.instant_us());
  } else if (applied > 0) {
    // A sequence (or the whole bundle) is evaluated at the business time of
    // its last event, as Engine::Program(AsOf::Sequence(n)) is.
    set.AdvanceTo(last_occurred_at_us);
  }
  if (events_applied != nullptr) *events_applied = applied;
  ProgramView view = ::loyalty::internal::MakeProgramView(set);
  view.as_of_kind = as_of.kind();
  return view;
}

}  // namespace loyalty::audit
