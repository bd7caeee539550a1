// libFuzzer target: the binary event reader of audit bundles, events.bin
// (each event's canonical bytes preceded by their length as a varint), read
// back by ReplayBundle (include/loyalty/audit.h) into fresh projections.
//
// The first input byte picks the mode and the AsOf of the replay:
//  - even: the rest is events.bin as it is (framing, decoding and the chain
//    checks meet hostile bytes; only a first event can chain);
//  - odd: the rest is read as length-delimited envelopes, which the target
//    renumbers and chains (sequence, previous_hash) before writing them, so
//    that arbitrary events reach the projections.
// The bundle is written to a directory of its own under TMPDIR (/tmp).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "ledger/hash.h"
#include "loyalty/audit.h"
#include "loyalty/v1/envelope.pb.h"
#include "util/sha256.h"

namespace {

const std::string& BundleDirectory() {
  static const std::string* directory = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/loyalty-fuzz-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    std::ofstream(pattern + "/manifest.txt") << "format loyalty-audit-bundle/1\nfrom 1\nto 1000\n";
    return new std::string(pattern);
  }();
  return *directory;
}

void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// Reads one varint-prefixed record of `input`; false when none is left.
bool NextRecord(absl::string_view* input, absl::string_view* record) {
  uint64_t length = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (input->empty()) return false;
    const uint8_t byte = static_cast<uint8_t>(input->front());
    input->remove_prefix(1);
    length |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      if (length > input->size()) length = input->size();
      *record = input->substr(0, length);
      input->remove_prefix(length);
      return true;
    }
  }
  return false;
}

std::string Rechain(absl::string_view input) {
  std::string out;
  loyalty::Hash chain{};  // hash(0): 32 zero bytes
  absl::string_view record;
  for (uint64_t sequence = 1; sequence <= 64 && NextRecord(&input, &record); ++sequence) {
    loyalty::v1::Envelope envelope;
    if (!envelope.ParseFromArray(record.data(), static_cast<int>(record.size()))) continue;
    envelope.set_sequence(sequence);
    envelope.set_previous_hash(std::string(loyalty::util::DigestBytes(chain)));
    std::string bytes;
    if (!envelope.SerializeToString(&bytes)) continue;
    chain = loyalty::internal::ChainHash(chain, bytes);
    AppendVarint(bytes.size(), &out);
    out += bytes;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  const absl::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string events = (mode & 1) != 0 ? Rechain(rest) : std::string(rest);
  const std::string& directory = BundleDirectory();
  {
    std::ofstream file(directory + "/events.bin", std::ios::binary | std::ios::trunc);
    file.write(events.data(), static_cast<std::streamsize>(events.size()));
  }
  loyalty::AsOf as_of = loyalty::AsOf::Now();
  switch ((mode >> 1) & 3) {
    case 1:
      as_of = loyalty::AsOf::Sequence(1 + (mode >> 3));
      break;
    case 2:
      // 2024-01-01 plus up to 31 days.
      as_of = loyalty::AsOf::RecordedTime(1704067200LL * 1000000 + (mode >> 3) * 86400LL * 1000000);
      break;
    default:
      break;
  }
  if (((mode >> 1) & 3) == 3) as_of = loyalty::AsOf::BusinessTime(1704067200LL * 1000000);
  uint64_t applied = 0;
  auto view = loyalty::audit::ReplayBundle(directory, as_of, &applied);
  if (view.ok() && view->as_of_sequence > 64 + 1000) std::abort();
  return 0;
}
