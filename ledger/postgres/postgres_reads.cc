// The read side of PostgresLedger: scans, streams, hashes, verification and
// metrics. Every read borrows a session of its own (session_pool.h) and is
// clamped to the published head.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ledger/chain_checker.h"
#include "ledger/decoded_reads.h"
#include "ledger/event_decode.h"
#include "ledger/postgres/ledger_schema.h"
#include "ledger/postgres/postgres_ledger.h"
#include "util/sha256.h"

namespace loyalty::internal {
namespace {

// Rows fetched per query of a long scan: enough to amortise the round trip,
// few enough (a few MiB at most) to keep memory flat.
constexpr uint64_t kPageEvents = 2048;

constexpr char kRawColumns[] = "sequence, canonical_bytes, hash";
// Verify's: the columns stored beside the bytes too.
constexpr char kAllColumns[] =
    "sequence, canonical_bytes, hash, stream_id, stream_version, idempotency_key, "
    "content_digest, recorded_at_us";

// Verify's check of one row's columns against its canonical bytes.
absl::Status CheckColumns(const PGresult* rows, int row, uint64_t sequence,
                          absl::string_view canonical_bytes, const EnvelopeHeaderAndKeys& header) {
  int64_t stream_version = 0;
  int64_t recorded_at_us = 0;
  const char* wrong = nullptr;
  if (util::PgBytesAt(rows, row, 3) != header.stream_id) {
    wrong = "stream_id";
  } else if (!util::PgInt64At(rows, row, 4, &stream_version) ||
             static_cast<uint64_t>(stream_version) != header.stream_version) {
    wrong = "stream_version";
  } else if (util::PgBytesAt(rows, row, 5) != header.idempotency_key) {
    wrong = "idempotency_key";
  } else if (util::PgBytesAt(rows, row, 6) !=
             util::DigestBytes(util::Sha256(canonical_bytes.substr(header.caller_offset)))) {
    wrong = "content_digest";
  } else if (!util::PgInt64At(rows, row, 7, &recorded_at_us) ||
             recorded_at_us != header.recorded_at_us) {
    wrong = "recorded_at_us";
  }
  if (wrong == nullptr) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat("sequence ", sequence, ": its ", wrong,
                                          " column does not match its canonical bytes"));
}

}  // namespace

absl::Status PostgresLedger::ScanRows(
    uint64_t from, uint64_t to, absl::string_view columns,
    absl::FunctionRef<absl::Status(const PGresult*, int row, uint64_t sequence)> visit) const {
  absl::StatusOr<SessionPool::Lease> session = readers_.Borrow();
  if (!session.ok()) return session.status();
  const std::string sql = absl::StrCat(
      "SELECT ", columns,
      " FROM events WHERE sequence BETWEEN $1::bigint AND $2::bigint ORDER BY sequence");
  uint64_t expected = from;
  while (expected <= to) {
    const uint64_t last = std::min(to, expected + kPageEvents - 1);
    absl::StatusOr<util::PgResult> page = session->Run(
        sql, util::PgParams()
                 .Int64(static_cast<int64_t>(expected))
                 .Int64(static_cast<int64_t>(last)));
    if (!page.ok()) return page.status();
    for (int row = 0; row < PQntuples(page->get()); ++row, ++expected) {
      int64_t sequence = 0;
      if (!util::PgInt64At(page->get(), row, 0, &sequence) ||
          static_cast<uint64_t>(sequence) != expected) {
        return absl::DataLossError(absl::StrCat("sequence ", expected, ": missing (found ",
                                                sequence, " in its place)"));
      }
      absl::Status status = visit(page->get(), row, expected);
      if (!status.ok()) return status;
    }
    if (expected != last + 1) {
      return absl::DataLossError(absl::StrCat("sequence ", expected, ": missing"));
    }
  }
  return absl::OkStatus();
}

absl::Status PostgresLedger::ScanRaw(uint64_t from, uint64_t to,
                                     absl::FunctionRef<absl::Status(const RawEvent&)> visit) const {
  to = std::min(to, Head().sequence);
  if (from == 0) from = 1;
  if (from > to) return absl::OkStatus();
  return ScanRows(from, to, kRawColumns,
                  [&](const PGresult* rows, int row, uint64_t sequence) -> absl::Status {
                    RawEvent raw;
                    raw.sequence = sequence;
                    raw.canonical_bytes = util::PgBytesAt(rows, row, 1);
                    if (!util::DigestFromBytes(util::PgBytesAt(rows, row, 2), &raw.hash)) {
                      return absl::DataLossError(
                          absl::StrCat("sequence ", sequence, ": chain hash missing"));
                    }
                    return visit(raw);
                  });
}

absl::Status PostgresLedger::Scan(
    uint64_t from, uint64_t to,
    absl::FunctionRef<absl::Status(const v1::Envelope&)> visit) const {
  return ScanDecoded(*this, from, to, visit);
}

absl::StatusOr<std::vector<v1::Envelope>> PostgresLedger::Read(uint64_t from,
                                                               size_t max_events) const {
  return ReadDecoded(*this, from, max_events);
}

absl::Status PostgresLedger::ScanStream(
    absl::string_view stream_id, uint64_t from_version,
    absl::FunctionRef<absl::Status(const v1::Envelope&)> visit) const {
  const uint64_t head = Head().sequence;
  absl::StatusOr<SessionPool::Lease> session = readers_.Borrow();
  if (!session.ok()) return session.status();
  v1::Envelope envelope;
  uint64_t next_version = std::max<uint64_t>(from_version, 1);
  while (true) {
    absl::StatusOr<util::PgResult> page = session->Run(
        absl::StrCat("SELECT sequence, canonical_bytes, stream_version FROM events "
                     "WHERE stream_id = $1::bytea AND stream_version >= $2::bigint "
                     "AND sequence <= $3::bigint ORDER BY stream_version LIMIT ",
                     kPageEvents),
        util::PgParams()
            .Bytes(stream_id)
            .Int64(static_cast<int64_t>(next_version))
            .Int64(static_cast<int64_t>(head)));
    if (!page.ok()) return page.status();
    const int rows = PQntuples(page->get());
    for (int row = 0; row < rows; ++row) {
      int64_t sequence = 0;
      int64_t version = 0;
      if (!util::PgInt64At(page->get(), row, 0, &sequence) ||
          !util::PgInt64At(page->get(), row, 2, &version)) {
        return absl::DataLossError(absl::StrCat("stream \"", stream_id, "\": bad row"));
      }
      absl::Status status =
          DecodeEvent(static_cast<uint64_t>(sequence), util::PgBytesAt(page->get(), row, 1),
                      &envelope);
      if (status.ok()) status = visit(envelope);
      if (!status.ok()) return status;
      next_version = static_cast<uint64_t>(version) + 1;
    }
    if (rows < static_cast<int>(kPageEvents)) return absl::OkStatus();
  }
}

absl::StatusOr<uint64_t> PostgresLedger::StreamVersion(absl::string_view stream_id) const {
  absl::StatusOr<SessionPool::Lease> session = readers_.Borrow();
  if (!session.ok()) return session.status();
  absl::StatusOr<util::PgResult> found = session->Run(
      "SELECT max(stream_version) FROM events WHERE stream_id = $1::bytea "
      "AND sequence <= $2::bigint",
      util::PgParams().Bytes(stream_id).Int64(static_cast<int64_t>(Head().sequence)));
  if (!found.ok()) return found.status();
  int64_t version = 0;
  if (util::PgIsNull(found->get(), 0, 0)) return 0;
  if (!util::PgInt64At(found->get(), 0, 0, &version)) {
    return absl::DataLossError(absl::StrCat("stream \"", stream_id, "\": bad version"));
  }
  return static_cast<uint64_t>(version);
}

absl::StatusOr<Hash> PostgresLedger::HashAt(uint64_t sequence) const {
  if (sequence == 0) return Hash{};
  if (sequence > Head().sequence) {
    return absl::NotFoundError(absl::StrCat("sequence ", sequence, " is past the head"));
  }
  absl::StatusOr<SessionPool::Lease> session = readers_.Borrow();
  if (!session.ok()) return session.status();
  absl::StatusOr<util::PgResult> found =
      session->Run("SELECT hash FROM events WHERE sequence = $1::bigint",
                      util::PgParams().Int64(static_cast<int64_t>(sequence)));
  if (!found.ok()) return found.status();
  Hash hash{};
  if (PQntuples(found->get()) != 1 ||
      !util::DigestFromBytes(util::PgBytesAt(found->get(), 0, 0), &hash)) {
    return absl::DataLossError(absl::StrCat("sequence ", sequence, ": chain hash missing"));
  }
  return hash;
}

absl::StatusOr<uint64_t> PostgresLedger::SequenceAtTime(int64_t recorded_at_us) const {
  // Recorded-at times never decrease along the log: the last event at or
  // before the instant is the one with the greatest (time, sequence).
  absl::StatusOr<SessionPool::Lease> session = readers_.Borrow();
  if (!session.ok()) return session.status();
  absl::StatusOr<util::PgResult> found = session->Run(
      "SELECT sequence FROM events WHERE recorded_at_us <= $1::bigint AND sequence <= $2::bigint "
      "ORDER BY recorded_at_us DESC, sequence DESC LIMIT 1",
      util::PgParams().Int64(recorded_at_us).Int64(static_cast<int64_t>(Head().sequence)));
  if (!found.ok()) return found.status();
  if (PQntuples(found->get()) == 0) return 0;
  int64_t sequence = 0;
  if (!util::PgInt64At(found->get(), 0, 0, &sequence)) {
    return absl::DataLossError("SequenceAtTime: a malformed sequence");
  }
  return static_cast<uint64_t>(sequence);
}

absl::Status PostgresLedger::Verify(uint64_t from, uint64_t to) const {
  absl::StatusOr<VerifyRange> range = StartVerify(*this, from, to);
  if (!range.ok() || range->empty()) return range.status();
  const ChainHead& head = range->head;
  from = range->from;
  to = range->to;
  // The unique constraints keep the streams and keys unique; each row's
  // columns must also say what its bytes say, since appends and look-ups
  // trust them.
  const PGresult* current_rows = nullptr;
  int current_row = 0;
  ChainChecker checker(range->start, [&](uint64_t sequence, absl::string_view canonical_bytes,
                                   const EnvelopeHeaderAndKeys& header) {
    return CheckColumns(current_rows, current_row, sequence, canonical_bytes, header);
  });
  absl::Status status =
      ScanRows(from, to, kAllColumns,
               [&](const PGresult* rows, int row, uint64_t sequence) -> absl::Status {
                 Hash stored{};
                 if (!util::DigestFromBytes(util::PgBytesAt(rows, row, 2), &stored)) {
                   return absl::DataLossError(
                       absl::StrCat("sequence ", sequence, ": chain hash missing"));
                 }
                 current_rows = rows;
                 current_row = row;
                 return checker.Check(sequence, util::PgBytesAt(rows, row, 1), stored);
               });
  if (!status.ok()) return status;
  if (to != head.sequence) return absl::OkStatus();
  if (checker.previous() != head.hash) {
    return absl::DataLossError(
        absl::StrCat("sequence ", to, ": the chain does not end at the stored head"));
  }
  // Nothing may lie past the stored head, which is at or past the published
  // one (others' appends); one statement sees both in one snapshot.
  absl::StatusOr<SessionPool::Lease> session = readers_.Borrow();
  if (!session.ok()) return session.status();
  absl::StatusOr<util::PgResult> beyond = session->Run(
      "SELECT h.sequence, (SELECT min(e.sequence) FROM events e WHERE e.sequence > h.sequence) "
      "FROM head h",
      util::PgParams());
  if (!beyond.ok()) return beyond.status();
  int64_t stored_head = 0;
  if (PQntuples(beyond->get()) != 1 || !util::PgInt64At(beyond->get(), 0, 0, &stored_head)) {
    return absl::DataLossError("the stored chain head is not one well-formed row");
  }
  if (static_cast<uint64_t>(stored_head) < head.sequence) {
    return absl::DataLossError(absl::StrCat("sequence ", head.sequence, ": past the stored head ",
                                            stored_head));
  }
  int64_t past = 0;
  if (util::PgInt64At(beyond->get(), 0, 1, &past)) {
    return absl::DataLossError(
        absl::StrCat("sequence ", past, ": stored beyond the head ", stored_head));
  }
  return absl::OkStatus();
}

LedgerMetrics PostgresLedger::Metrics() const {
  LedgerMetrics metrics = append_metrics_.Snapshot();
  metrics.head_sequence = Head().sequence;
  absl::StatusOr<SessionPool::Lease> session = readers_.Borrow();
  if (!session.ok()) return metrics;
  absl::StatusOr<util::PgResult> size = session->Run(
      "SELECT pg_total_relation_size('events') + pg_total_relation_size('head') + "
      "pg_total_relation_size('meta')",
      util::PgParams());
  int64_t bytes = 0;
  if (size.ok() && util::PgInt64At(size->get(), 0, 0, &bytes)) {
    metrics.directory_bytes = static_cast<uint64_t>(bytes);
  }
  return metrics;
}

}  // namespace loyalty::internal
