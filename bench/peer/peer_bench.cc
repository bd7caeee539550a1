// loyalty-ledger beside the design most malls would pick instead: PostgreSQL
// with an events table and projection tables kept up to date in the same
// transaction. Both sides ingest the same generated events in the same batch
// sizes with the same durability, rebuild every projection from their log,
// answer member queries, and report their disk use, in one run.
//
// Run through bench/peer/run.sh, which starts a throwaway PostgreSQL server
// and passes --pg; results and method: bench/README.md, "PostgreSQL peer".
#include <openssl/sha.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "demo/workload.h"
#include "replay/projection_set.h"
#include "util/pg_session.h"
#include "engine/projection_store.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "loyalty/clock.h"
#include "loyalty/engine.h"
#include "loyalty/ledger.h"
#include "loyalty/privacy.h"
#include "privacy/aead.h"

namespace loyalty::peer {
namespace {

using Clock = std::chrono::steady_clock;
using util::AppendCopyBytea;
using util::AppendCopyText;
using util::PgParams;
using util::PgSession;
using Result = util::PgResult;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Options {
  int members = 3000;
  int days = 365;
  uint64_t seed = 20240101;
  size_t batch_events = 1000;
  int queries = 2000;
  std::string work_dir;
  std::string pg;  // libpq connection string of the server's maintenance database
};

void Die(const absl::Status& status, absl::string_view what) {
  std::fprintf(stderr, "peer_bench: %s: %s\n", std::string(what).c_str(),
               status.ToString().c_str());
  std::exit(1);
}

#define CHECK_OK(expr, what)                    \
  do {                                          \
    const absl::Status check_status = (expr);   \
    if (!check_status.ok()) Die(check_status, what); \
  } while (0)

std::string Canonical(const v1::Envelope& envelope) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    envelope.SerializeToCodedStream(&coded);
  }
  return bytes;
}

std::string EventType(const v1::Envelope& envelope) {
  const google::protobuf::FieldDescriptor* field =
      v1::Event::descriptor()->FindFieldByNumber(envelope.event().kind_case());
  return field == nullptr ? "none" : field->name();
}

uint64_t DirectoryBytes(const std::string& directory) {
  uint64_t bytes = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(directory, error)) {
    if (entry.is_regular_file(error)) bytes += entry.file_size(error);
  }
  return bytes;
}

// The workload's events as the engine decided them, with the fields a
// ledger assigns cleared: what both sides ingest.
struct Source {
  std::vector<v1::Envelope> events;
  std::vector<std::string> member_ids;
  int64_t end_us = 0;  // the business time after the last event
};

Source GenerateSource(const Options& options) {
  const std::string directory = options.work_dir + "/source";
  std::filesystem::remove_all(directory);
  demo::WorkloadOptions workload;
  workload.members = options.members;
  workload.days = options.days;
  workload.seed = options.seed;
  {
    // As `loyalty demo` does: the ledger clock follows business time.
    ManualClock clock(workload.start_us);
    EngineOptions engine_options;
    engine_options.ledger.clock = &clock;
    engine_options.ledger.sync = false;
    // Made-up personal data: a fixed key, and keys and nonces from the seed,
    // so equal flags give equal events.
    engine_options.master_key = MasterKeyFromBytes(std::string(kMasterKeyBytes, 'k'));
    engine_options.random_bytes = privacy::SeededRandomBytes(options.seed);
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(directory, engine_options);
    if (!engine.ok()) Die(engine.status(), "opening the generation engine");
    std::map<std::string, int64_t> refused;
    absl::Status status = demo::GenerateWorkload(workload, [&](const demo::Command& command) {
      const int64_t at_us = demo::OccurredAtUs(command);
      if (at_us + 1000000 > clock.NowMicros()) clock.Set(at_us + 1000000);
      absl::StatusOr<CommandResult> result =
          std::visit([&](const auto& c) { return (*engine)->Execute(c); }, command);
      if (result.ok()) return absl::OkStatus();
      // Commands the engine refuses (a redemption over the balance, ...)
      // append nothing, on either side.
      if (absl::IsFailedPrecondition(result.status()) || absl::IsAlreadyExists(result.status()) ||
          absl::IsNotFound(result.status())) {
        ++refused[absl::StatusCodeToString(result.status().code())];
        return absl::OkStatus();
      }
      return result.status();
    });
    if (!status.ok()) Die(status, "generating the workload");
    for (const auto& [code, count] : refused) {
      std::printf("  generation: %lld commands refused with %s\n", static_cast<long long>(count),
                  code.c_str());
    }
  }
  LedgerOptions ledger_options;
  ledger_options.create_if_missing = false;
  ledger_options.sync = false;
  absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(directory, ledger_options);
  if (!ledger.ok()) Die(ledger.status(), "opening the generated log");
  Source source;
  CHECK_OK((*ledger)->Scan(1, (*ledger)->Head().sequence,
                           [&](const v1::Envelope& stored) {
                             v1::Envelope envelope = stored;
                             source.end_us = std::max(source.end_us, envelope.occurred_at_us());
                             envelope.clear_sequence();
                             envelope.clear_stream_version();
                             envelope.clear_recorded_at_us();
                             envelope.clear_previous_hash();
                             if (envelope.event().has_member_enrolled()) {
                               source.member_ids.push_back(
                                   envelope.event().member_enrolled().member_id());
                             }
                             source.events.push_back(std::move(envelope));
                             return absl::OkStatus();
                           }),
           "reading the generated log");
  ledger->reset();
  // The events carry personal data sealed with these keys: kept for the
  // ledgers that take the events.
  std::filesystem::remove_all(options.work_dir + "/source-member-keys");
  std::filesystem::rename(directory + "/member-keys", options.work_dir + "/source-member-keys");
  std::filesystem::remove_all(directory);
  if (source.member_ids.empty()) {
    Die(absl::FailedPreconditionError("the workload enrolled no member"), "generating");
  }
  source.end_us += 1000000;
  return source;
}

// The figures both sides must agree on.
struct Figures {
  int64_t events = 0;
  int64_t outstanding_points = 0;
  int64_t debt_points = 0;
  int64_t members = 0;
  TierCounts tiers;
  int64_t net_sales_fen = 0;
  int64_t points_issued = 0;
  int64_t partners = 0;
};

std::string Describe(const Figures& f) {
  return absl::StrCat("events ", f.events, ", members ", f.members, ", outstanding points ",
                      f.outstanding_points, ", debt ", f.debt_points, ", tiers R/S/G/P ",
                      f.tiers.regular, "/", f.tiers.silver, "/", f.tiers.gold, "/",
                      f.tiers.platinum, ", partners ", f.partners, ", net sales fen ",
                      f.net_sales_fen, ", points issued ", f.points_issued);
}

struct SideResult {
  double ingest_s = 0;
  // Where ingest time goes: the log and tables (storage, round trips), and
  // the projection code (apply, rows).
  double store_s = 0;
  double project_s = 0;
  double rebuild_s = 0;
  double replay_s = 0;  // ours: scan and apply alone
  double query_p50_us = 0;
  double query_p99_us = 0;
  uint64_t disk_bytes = 0;
  std::string disk_note;
  Figures figures;
};

std::pair<double, double> Percentiles(std::vector<double> samples_us) {
  std::sort(samples_us.begin(), samples_us.end());
  auto at = [&](double q) {
    return samples_us[std::min(samples_us.size() - 1,
                               static_cast<size_t>(q * static_cast<double>(samples_us.size())))];
  };
  return {at(0.50), at(0.99)};
}

std::vector<std::string> QueryMembers(const Source& source, const Options& options) {
  std::mt19937_64 random(options.seed);
  std::vector<std::string> ids;
  for (int i = 0; i < options.queries; ++i) {
    ids.push_back(source.member_ids[random() % source.member_ids.size()]);
  }
  return ids;
}

// ---------------------------------------------------------------- ours

// The checkpoint of `live` at `applied`, with the chain hash there, as the
// engine saves it.
internal::ProjectionCheckpoint CheckpointOf(const internal::ProjectionSet& live,
                                            const Ledger& ledger, uint64_t applied) {
  internal::ProjectionCheckpoint checkpoint = live.ToCheckpoint(applied);
  absl::StatusOr<Hash> hash = ledger.HashAt(applied);
  if (!hash.ok()) Die(hash.status(), "reading the chain hash");
  checkpoint.applied_hash.assign(reinterpret_cast<const char*>(hash->data()), hash->size());
  return checkpoint;
}

SideResult RunOurs(const Source& source, const Options& options) {
  SideResult result;
  const std::string directory = options.work_dir + "/ours";
  std::filesystem::remove_all(directory);
  // Ledger time follows business time, so expiry is evaluated where the
  // workload ends on both sides.
  ManualClock clock(source.end_us);
  {
    LedgerOptions ledger_options;
    ledger_options.sync = true;  // every batch fsynced: the default
    ledger_options.clock = &clock;
    absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(directory, ledger_options);
    if (!ledger.ok()) Die(ledger.status(), "opening our ledger");
    absl::Status created = internal::ProjectionStore::Create(directory + "/projections");
    if (!created.ok()) Die(created, "creating our projection store");
    absl::StatusOr<std::unique_ptr<internal::ProjectionStore>> store =
        internal::ProjectionStore::Open(directory + "/projections", /*read_only=*/false);
    if (!store.ok()) Die(store.status(), "opening our projection store");
    internal::ProjectionSet live;
    const uint64_t checkpoint_interval = EngineOptions().checkpoint_interval_events;
    uint64_t applied = 0;
    uint64_t saved = 0;
    const Clock::time_point start = Clock::now();
    for (size_t first = 0; first < source.events.size(); first += options.batch_events) {
      const size_t last = std::min(source.events.size(), first + options.batch_events);
      AppendBatch batch;
      for (size_t i = first; i < last; ++i) batch.Add(source.events[i]);
      const Clock::time_point append_start = Clock::now();
      absl::StatusOr<AppendResult> appended = (*ledger)->Append(batch);
      if (!appended.ok()) Die(appended.status(), "appending to our ledger");
      const Clock::time_point apply_start = Clock::now();
      result.store_s += std::chrono::duration<double>(apply_start - append_start).count();
      // As the engine does after an append: read the new events back and
      // apply them, checkpointing every checkpoint_interval_events.
      CHECK_OK((*ledger)->Scan(applied + 1, appended->sequences.back(),
                               [&](const v1::Envelope& envelope) {
                                 applied = envelope.sequence();
                                 return live.Apply(envelope);
                               }),
               "applying our events");
      result.project_s += SecondsSince(apply_start);
      if (applied - saved >= checkpoint_interval) {
        CHECK_OK((*store)->Save(CheckpointOf(live, **ledger, applied)), "checkpointing");
        saved = applied;
      }
    }
    CHECK_OK((*store)->Save(CheckpointOf(live, **ledger, applied)), "checkpointing");
    result.ingest_s = SecondsSince(start);
  }

  // The events carry personal data sealed with the source's member keys.
  std::filesystem::copy(options.work_dir + "/source-member-keys", directory + "/member-keys",
                        std::filesystem::copy_options::recursive);
  EngineOptions engine_options;
  engine_options.ledger.clock = &clock;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(directory, engine_options);
  if (!engine.ok()) Die(engine.status(), "opening our engine");
  const Clock::time_point rebuild_start = Clock::now();
  absl::StatusOr<std::vector<ProjectionDigest>> digests = (*engine)->Rebuild();
  if (!digests.ok()) Die(digests.status(), "rebuilding ours");
  result.rebuild_s = SecondsSince(rebuild_start);
  {
    // The replay alone, without Rebuild's digests and checkpoint save: what
    // part of the rebuild is the projection code over the log.
    internal::ProjectionSet fresh;
    const Clock::time_point replay_start = Clock::now();
    CHECK_OK((*engine)->ledger().Scan(1, (*engine)->ledger().Head().sequence,
                                      [&](const v1::Envelope& e) { return fresh.Apply(e); }),
             "replaying ours");
    result.replay_s = SecondsSince(replay_start);
  }

  std::vector<double> samples_us;
  for (const std::string& member_id : QueryMembers(source, options)) {
    const Clock::time_point start = Clock::now();
    absl::StatusOr<MemberView> member = (*engine)->Member(member_id, AsOf::Now());
    samples_us.push_back(SecondsSince(start) * 1e6);
    if (!member.ok()) Die(member.status(), "querying our member");
  }
  std::tie(result.query_p50_us, result.query_p99_us) = Percentiles(samples_us);

  absl::StatusOr<ProgramView> program = (*engine)->Program(AsOf::Now());
  if (!program.ok()) Die(program.status(), "our program view");
  Figures& f = result.figures;
  f.events = static_cast<int64_t>((*engine)->ledger().Head().sequence);
  f.outstanding_points = program->liability.outstanding_points;
  f.debt_points = program->liability.debt_points;
  f.members = program->liability.members;
  f.tiers = program->tiers;
  for (const PartnerScorecard& partner : program->partners) {
    f.net_sales_fen += partner.net_sales_fen;
    f.points_issued += partner.points_issued;
    ++f.partners;
  }
  engine->reset();
  result.disk_bytes = DirectoryBytes(directory);
  result.disk_note = "ledger and projection checkpoint directory";
  return result;
}

// ---------------------------------------------------------------- peer

constexpr char kSchema[] = R"sql(
CREATE TABLE events (
  seq             bigint PRIMARY KEY,
  stream_id       text   NOT NULL,
  stream_version  bigint NOT NULL,
  idempotency_key text,
  occurred_at_us  bigint NOT NULL,
  recorded_at_us  bigint NOT NULL,
  type            text   NOT NULL,
  payload         bytea  NOT NULL,
  prev_hash       bytea  NOT NULL,
  hash            bytea  NOT NULL
);
CREATE UNIQUE INDEX events_stream_version ON events (stream_id, stream_version);
CREATE UNIQUE INDEX events_idempotency_key ON events (idempotency_key);
CREATE TABLE member_balances (
  member_id               text PRIMARY KEY,
  erased                  boolean NOT NULL,
  available_points        bigint NOT NULL,
  debt_points             bigint NOT NULL,
  earned_points_total     bigint NOT NULL,
  redeemed_points_total   bigint NOT NULL,
  expired_points_total    bigint NOT NULL,
  clawed_back_points_total bigint NOT NULL,
  outstanding_points      bigint NOT NULL,
  tier                    smallint NOT NULL,
  tier_protected_until_us bigint NOT NULL,
  qualifying_spend_fen    bigint NOT NULL,
  last_activity_at_us     bigint NOT NULL,
  as_of_sequence          bigint NOT NULL
);
CREATE INDEX member_balances_tier ON member_balances (tier);
CREATE TABLE partner_scorecards (
  partner_id         text PRIMARY KEY,
  gross_sales_fen    bigint NOT NULL,
  refunded_fen       bigint NOT NULL,
  net_sales_fen      bigint NOT NULL,
  purchase_count     bigint NOT NULL,
  refund_count       bigint NOT NULL,
  refund_rate_bp     bigint NOT NULL,
  points_issued      bigint NOT NULL,
  points_clawed_back bigint NOT NULL,
  complaint_count    bigint NOT NULL,
  satisfaction_score_sum   bigint NOT NULL,
  satisfaction_score_count bigint NOT NULL
);
)sql";

constexpr char kMemberColumns[] =
    "member_id, erased, available_points, debt_points, earned_points_total, "
    "redeemed_points_total, expired_points_total, clawed_back_points_total, outstanding_points, "
    "tier, tier_protected_until_us, qualifying_spend_fen, last_activity_at_us, as_of_sequence";
constexpr char kPartnerColumns[] =
    "partner_id, gross_sales_fen, refunded_fen, net_sales_fen, purchase_count, refund_count, "
    "refund_rate_bp, points_issued, points_clawed_back, complaint_count, "
    "satisfaction_score_sum, satisfaction_score_count";

// The member's row, from the same pure projection code our engine uses.
std::vector<std::string> MemberRow(const internal::ProjectionSet& set,
                                   const std::string& member_id) {
  absl::StatusOr<MemberView> view = internal::MakeMemberView(set, member_id);
  if (!view.ok()) Die(view.status(), "peer member row");
  int64_t outstanding = 0;
  for (const LotView& lot : view->lots) outstanding += lot.points_remaining;
  return {member_id,
          view->erased ? "t" : "f",
          absl::StrCat(view->available_points),
          absl::StrCat(view->debt_points),
          absl::StrCat(view->earned_points_total),
          absl::StrCat(view->redeemed_points_total),
          absl::StrCat(view->expired_points_total),
          absl::StrCat(view->clawed_back_points_total),
          absl::StrCat(outstanding),
          absl::StrCat(static_cast<int>(view->tier)),
          absl::StrCat(view->tier_protected_until_us),
          absl::StrCat(view->qualifying_spend_fen),
          absl::StrCat(view->last_activity_at_us),
          absl::StrCat(view->as_of_sequence)};
}

std::vector<std::string> PartnerRow(const std::string& partner_id,
                                    const projections::PartnerScore& s) {
  return {partner_id,
          absl::StrCat(s.gross_sales_fen),
          absl::StrCat(s.refunded_fen),
          absl::StrCat(s.net_sales_fen()),
          absl::StrCat(s.purchase_count),
          absl::StrCat(s.refund_count),
          absl::StrCat(s.refund_rate_bp()),
          absl::StrCat(s.points_issued),
          absl::StrCat(s.points_clawed_back),
          absl::StrCat(s.complaint_count),
          absl::StrCat(s.satisfaction_score_sum),
          absl::StrCat(s.satisfaction_score_count)};
}

bool SameScore(const projections::PartnerScore& a, const projections::PartnerScore& b) {
  return PartnerRow("", a) == PartnerRow("", b);
}

// INSERT ... VALUES (...), ... ON CONFLICT (key) DO UPDATE SET every column.
std::string Upsert(PgSession& pg, absl::string_view table, absl::string_view columns,
                   absl::string_view key, const std::vector<std::vector<std::string>>& rows) {
  std::string sql = absl::StrCat("INSERT INTO ", table, " (", columns, ") VALUES ");
  for (size_t r = 0; r < rows.size(); ++r) {
    if (r > 0) sql.push_back(',');
    sql.push_back('(');
    for (size_t c = 0; c < rows[r].size(); ++c) {
      if (c > 0) sql.push_back(',');
      // The key is text; every other value is a number or a boolean.
      absl::StrAppend(&sql, c == 0 ? pg.Literal(rows[r][c]) : absl::StrCat("'", rows[r][c], "'"));
    }
    sql.push_back(')');
  }
  absl::StrAppend(&sql, " ON CONFLICT (", key, ") DO UPDATE SET ");
  bool first = true;
  for (absl::string_view column : absl::StrSplit(columns, ", ")) {
    if (column == key) continue;
    if (!first) sql.push_back(',');
    first = false;
    absl::StrAppend(&sql, column, "=EXCLUDED.", column);
  }
  return sql;
}

void AppendCopyRow(const std::vector<std::string>& row, std::string* out) {
  for (size_t c = 0; c < row.size(); ++c) {
    if (c > 0) out->push_back('\t');
    AppendCopyText(row[c], out);
  }
  out->push_back('\n');
}

absl::Status WriteAllProjections(PgSession& pg, const internal::ProjectionSet& set) {
  std::string members;
  for (const auto& [member_id, account] : set.balances().members()) {
    AppendCopyRow(MemberRow(set, member_id), &members);
  }
  absl::Status status =
      pg.CopyIn(absl::StrCat("COPY member_balances (", kMemberColumns, ") FROM STDIN"), members);
  if (!status.ok()) return status;
  std::string partners;
  for (const auto& [partner_id, score] : set.partners().partners()) {
    AppendCopyRow(PartnerRow(partner_id, score), &partners);
  }
  return pg.CopyIn(absl::StrCat("COPY partner_scorecards (", kPartnerColumns, ") FROM STDIN"),
                   partners);
}

SideResult RunPeer(const Source& source, const Options& options) {
  SideResult result;
  {
    absl::StatusOr<std::unique_ptr<PgSession>> admin = PgSession::Connect(options.pg);
    if (!admin.ok()) Die(admin.status(), "connecting to PostgreSQL");
    CHECK_OK((*admin)->Exec("DROP DATABASE IF EXISTS loyalty_peer"), "dropping");
    CHECK_OK((*admin)->Exec("CREATE DATABASE loyalty_peer"), "creating the database");
  }
  absl::StatusOr<std::unique_ptr<PgSession>> connected =
      PgSession::Connect(absl::StrCat(options.pg, " dbname=loyalty_peer"));
  if (!connected.ok()) Die(connected.status(), "connecting to loyalty_peer");
  PgSession& pg = **connected;
  CHECK_OK(pg.Exec(kSchema), "creating the schema");
  Result settings = *pg.Query("SHOW fsync");
  Result commit = *pg.Query("SHOW synchronous_commit");
  if (std::string(PQgetvalue(settings.get(), 0, 0)) != "on" ||
      std::string(PQgetvalue(commit.get(), 0, 0)) != "on") {
    Die(absl::FailedPreconditionError("fsync and synchronous_commit must be on"), "settings");
  }

  // Ingest: one transaction per batch with the events (COPY, chained like
  // our log, sequences and stream versions assigned by this single writer)
  // and the upserted rows of every member and partner the batch changed.
  internal::ProjectionSet live;
  absl::flat_hash_map<std::string, uint64_t> stream_versions;
  std::map<std::string, projections::PartnerScore> written_partners;
  std::string previous_hash(SHA256_DIGEST_LENGTH, '\0');
  uint64_t sequence = 0;
  const Clock::time_point start = Clock::now();
  for (size_t first = 0; first < source.events.size(); first += options.batch_events) {
    const size_t last = std::min(source.events.size(), first + options.batch_events);
    const Clock::time_point batch_start = Clock::now();
    double batch_project_s = 0;
    std::string copy;
    absl::flat_hash_set<std::string> touched_members;
    for (size_t i = first; i < last; ++i) {
      v1::Envelope envelope = source.events[i];
      envelope.set_sequence(++sequence);
      envelope.set_stream_version(++stream_versions[envelope.stream_id()]);
      envelope.set_recorded_at_us(source.end_us);
      const std::string payload = Canonical(envelope);
      // hash(n) = SHA-256(hash(n-1) || canonical bytes(n)), as our ledger chains.
      const std::string chained = previous_hash + payload;
      std::string hash(SHA256_DIGEST_LENGTH, '\0');
      SHA256(reinterpret_cast<const unsigned char*>(chained.data()), chained.size(),
             reinterpret_cast<unsigned char*>(hash.data()));
      absl::StrAppend(&copy, sequence, "\t");
      AppendCopyText(envelope.stream_id(), &copy);
      absl::StrAppend(&copy, "\t", envelope.stream_version(), "\t");
      if (envelope.idempotency_key().empty()) {
        copy.append("\\N");
      } else {
        AppendCopyText(envelope.idempotency_key(), &copy);
      }
      absl::StrAppend(&copy, "\t", envelope.occurred_at_us(), "\t", envelope.recorded_at_us(),
                      "\t", EventType(envelope), "\t");
      AppendCopyBytea(payload, &copy);
      copy.push_back('\t');
      AppendCopyBytea(previous_hash, &copy);
      copy.push_back('\t');
      AppendCopyBytea(hash, &copy);
      copy.push_back('\n');
      previous_hash = hash;
      const Clock::time_point apply_start = Clock::now();
      CHECK_OK(live.Apply(envelope), "peer projections");
      batch_project_s += SecondsSince(apply_start);
      if (const absl::string_view member_id = projections::MemberIdOfStream(envelope.stream_id());
          !member_id.empty()) {
        touched_members.insert(std::string(member_id));
      }
    }
    CHECK_OK(pg.Exec("BEGIN"), "begin");
    CHECK_OK(pg.CopyIn("COPY events (seq, stream_id, stream_version, idempotency_key, "
                       "occurred_at_us, recorded_at_us, type, payload, prev_hash, hash) "
                       "FROM STDIN",
                       copy),
             "copying events");
    const Clock::time_point rows_start = Clock::now();
    std::vector<std::vector<std::string>> member_rows;
    for (const std::string& member_id : touched_members) {
      if (live.balances().FindMember(member_id) != nullptr) {
        member_rows.push_back(MemberRow(live, member_id));
      }
    }
    batch_project_s += SecondsSince(rows_start);
    if (!member_rows.empty()) {
      CHECK_OK(pg.Exec(Upsert(pg, "member_balances", kMemberColumns, "member_id", member_rows)),
               "upserting members");
    }
    std::vector<std::vector<std::string>> partner_rows;
    for (const auto& [partner_id, score] : live.partners().partners()) {
      auto it = written_partners.find(partner_id);
      if (it != written_partners.end() && SameScore(it->second, score)) continue;
      partner_rows.push_back(PartnerRow(partner_id, score));
      written_partners[partner_id] = score;
    }
    if (!partner_rows.empty()) {
      CHECK_OK(
          pg.Exec(Upsert(pg, "partner_scorecards", kPartnerColumns, "partner_id", partner_rows)),
          "upserting partners");
    }
    CHECK_OK(pg.Exec("COMMIT"), "commit");
    result.project_s += batch_project_s;
    result.store_s += SecondsSince(batch_start) - batch_project_s;
  }
  result.ingest_s = SecondsSince(start);

  // Rebuild: recompute every projection from the events table and replace
  // the projection tables, in one transaction.
  const Clock::time_point rebuild_start = Clock::now();
  {
    internal::ProjectionSet fresh;
    CHECK_OK(pg.Exec("BEGIN"), "begin");
    CHECK_OK(pg.Exec("TRUNCATE member_balances, partner_scorecards"), "truncate");
    CHECK_OK(pg.Exec("DECLARE replay NO SCROLL CURSOR FOR SELECT payload FROM events ORDER BY seq"),
             "declare");
    for (;;) {
      // Binary results: the payload's bytes as stored, nothing to unescape.
      absl::StatusOr<Result> chunk = pg.Run("FETCH 10000 FROM replay", PgParams());
      if (!chunk.ok()) Die(chunk.status(), "fetching events");
      const int rows = PQntuples(chunk->get());
      if (rows == 0) break;
      for (int r = 0; r < rows; ++r) {
        const absl::string_view bytes = util::PgBytesAt(chunk->get(), r, 0);
        v1::Envelope envelope;
        if (!envelope.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
          Die(absl::DataLossError("an event does not parse"), "peer rebuild");
        }
        CHECK_OK(fresh.Apply(envelope), "peer rebuild");
      }
    }
    CHECK_OK(pg.Exec("CLOSE replay"), "close");
    fresh.AdvanceTo(source.end_us);
    CHECK_OK(WriteAllProjections(pg, fresh), "writing the rebuilt projections");
    CHECK_OK(pg.Exec("COMMIT"), "commit");
  }
  result.rebuild_s = SecondsSince(rebuild_start);
  CHECK_OK(pg.Exec("ANALYZE"), "analyze");

  CHECK_OK(pg.Prepare("member", absl::StrCat("SELECT ", kMemberColumns,
                                             " FROM member_balances WHERE member_id = $1::text")),
           "prepare");
  std::vector<double> samples_us;
  for (const std::string& member_id : QueryMembers(source, options)) {
    const Clock::time_point query_start = Clock::now();
    absl::StatusOr<Result> row = pg.RunPrepared("member", PgParams().Text(member_id));
    samples_us.push_back(SecondsSince(query_start) * 1e6);
    if (!row.ok()) Die(row.status(), "querying a peer member");
    if (PQntuples(row->get()) != 1) Die(absl::NotFoundError(member_id), "peer member");
  }
  std::tie(result.query_p50_us, result.query_p99_us) = Percentiles(samples_us);

  auto number = [&](const std::string& sql) -> int64_t {
    absl::StatusOr<Result> r = pg.Query(sql);
    if (!r.ok()) Die(r.status(), sql);
    int64_t value = 0;
    if (!PQgetisnull(r->get(), 0, 0)) (void)absl::SimpleAtoi(PQgetvalue(r->get(), 0, 0), &value);
    return value;
  };
  Figures& f = result.figures;
  f.events = number("SELECT count(*) FROM events");
  f.members = number("SELECT count(*) FROM member_balances");
  f.outstanding_points = number("SELECT sum(outstanding_points) FROM member_balances");
  f.debt_points = number("SELECT sum(debt_points) FROM member_balances");
  f.tiers.regular = number("SELECT count(*) FROM member_balances WHERE tier = 1");
  f.tiers.silver = number("SELECT count(*) FROM member_balances WHERE tier = 2");
  f.tiers.gold = number("SELECT count(*) FROM member_balances WHERE tier = 3");
  f.tiers.platinum = number("SELECT count(*) FROM member_balances WHERE tier = 4");
  f.partners = number("SELECT count(*) FROM partner_scorecards");
  f.net_sales_fen = number("SELECT sum(net_sales_fen) FROM partner_scorecards");
  f.points_issued = number("SELECT sum(points_issued) FROM partner_scorecards");

  CHECK_OK(pg.Exec("CHECKPOINT"), "checkpoint");
  const int64_t database = number("SELECT pg_database_size(current_database())");
  const int64_t wal = number("SELECT sum(size) FROM pg_ls_waldir()");
  result.disk_bytes = static_cast<uint64_t>(database + wal);
  result.disk_note = absl::StrFormat("database %.1f MB + WAL %.1f MB", database / 1e6, wal / 1e6);
  return result;
}

bool ParseFlags(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    bool ok = eq != std::string::npos;
    if (name == "--members") ok = ok && absl::SimpleAtoi(value, &options->members);
    else if (name == "--days") ok = ok && absl::SimpleAtoi(value, &options->days);
    else if (name == "--seed") ok = ok && absl::SimpleAtoi(value, &options->seed);
    else if (name == "--batch-events") ok = ok && absl::SimpleAtoi(value, &options->batch_events);
    else if (name == "--queries") ok = ok && absl::SimpleAtoi(value, &options->queries);
    else if (name == "--work-dir") options->work_dir = value;
    else if (name == "--pg") options->pg = value;
    else ok = false;
    if (!ok) {
      std::fprintf(stderr, "peer_bench: bad flag \"%s\"\n", arg.c_str());
      return false;
    }
  }
  return !options->work_dir.empty() && !options->pg.empty() && options->members > 0 &&
         options->days > 0 && options->queries > 0 && options->batch_events >= 1 &&
         options->batch_events <= kMaxBatchEvents;
}

}  // namespace
}  // namespace loyalty::peer

int main(int argc, char** argv) {
  using namespace loyalty::peer;
  Options options;
  if (!ParseFlags(argc, argv, &options)) {
    std::fprintf(stderr,
                 "usage: peer_bench --work-dir=DIR --pg='host=SOCKETDIR user=U dbname=postgres' "
                 "[--members=N] [--days=N] [--seed=N] [--batch-events=N] [--queries=N]\n"
                 "(normally run by bench/peer/run.sh)\n");
    return 2;
  }
  std::printf("generating the workload: %d members, %d days, seed %llu...\n", options.members,
              options.days, static_cast<unsigned long long>(options.seed));
  std::fflush(stdout);
  const Source source = GenerateSource(options);
  std::printf("%zu events, batches of %zu events, every batch fsynced on both sides\n",
              source.events.size(), options.batch_events);
  std::fflush(stdout);
  const SideResult ours = RunOurs(source, options);
  const SideResult peer = RunPeer(source, options);
  const double events = static_cast<double>(source.events.size());
  std::printf("\n%-34s %16s %16s %12s\n", "", "loyalty-ledger", "PostgreSQL", "ours/peer");
  std::printf("%-34s %16.0f %16.0f %11.1fx\n", "ingest, projections current (ev/s)",
              events / ours.ingest_s, events / peer.ingest_s, peer.ingest_s / ours.ingest_s);
  std::printf("%-34s %16.3f %16.3f %11.1fx\n", "rebuild of all projections (s)", ours.rebuild_s,
              peer.rebuild_s, peer.rebuild_s / ours.rebuild_s);
  std::printf("%-34s %16.1f %16.1f %11.2fx\n", "member query p50 (us)", ours.query_p50_us,
              peer.query_p50_us, peer.query_p50_us / ours.query_p50_us);
  std::printf("%-34s %16.1f %16.1f %11.2fx\n", "member query p99 (us)", ours.query_p99_us,
              peer.query_p99_us, peer.query_p99_us / ours.query_p99_us);
  std::printf("%-34s %16.1f %16.1f %11.2fx\n", "disk used (MB)", ours.disk_bytes / 1e6,
              peer.disk_bytes / 1e6, static_cast<double>(peer.disk_bytes) / ours.disk_bytes);
  std::printf("(ratios: how many times faster or smaller ours is; peer disk: %s)\n",
              peer.disk_note.c_str());
  std::printf("ingest time: ours %.2f s = %.2f s ledger append + %.2f s projections (read back, "
              "apply) + checkpoints; peer %.2f s = %.2f s projection code (apply, rows) + %.2f s "
              "chaining, COPY, upserts and commit\n",
              ours.ingest_s, ours.store_s, ours.project_s, peer.ingest_s, peer.project_s,
              peer.store_s);
  std::printf("rebuild time: ours %.2f s, of which %.2f s is the scan and apply alone (the rest: "
              "digests and the checkpoint save)\n",
              ours.rebuild_s, ours.replay_s);
  std::printf("\nours: %s\npeer: %s\n", Describe(ours.figures).c_str(),
              Describe(peer.figures).c_str());
  const bool same = Describe(ours.figures) == Describe(peer.figures) &&
                    ours.figures.events == static_cast<int64_t>(source.events.size());
  std::printf("check: %s\n", same ? "ok (both sides hold the same events and figures)"
                                  : "MISMATCH between the two sides");
  return same ? 0 : 1;
}
