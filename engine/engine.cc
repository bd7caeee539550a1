// EngineImpl: opening, the projections' checkpoint, catching up with the log
// and rebuilding from it (engine_impl.h); Engine::Open.
#include "engine/engine_impl.h"
#ifdef LOYALTY_WITH_POSTGRES
#include "engine/engine_postgres.h"
#include "ledger/postgres/postgres_ledger.h"
#endif

namespace loyalty {
namespace internal {

EngineImpl::EngineImpl(const EngineOptions& options, std::string directory,
                       std::unique_ptr<Ledger> ledger, std::unique_ptr<ProjectionStore> store,
                       std::unique_ptr<util::FileLock> local_lock)
    : options_(options),
      directory_(std::move(directory)),
      read_only_(options.ledger.read_only),
      notice_(NoticeSinkOf(options)),
      clock_(options.ledger.clock != nullptr ? options.ledger.clock : DefaultClock()),
      ledger_(std::move(ledger)),
      local_lock_(std::move(local_lock)),
      store_(std::move(store)),
      live_(std::make_unique<ProjectionSet>()) {
  live_->KeepMemberSnapshots(SnapshotInterval());
}

EngineImpl::~EngineImpl() {
  MutexLock lock(&mu_);
  if (applied_ != saved_ && !read_only_) (void)SaveCheckpoint();
}

absl::Status EngineImpl::Start(int stores_set_aside) {
  for (int i = 0; i < stores_set_aside; ++i) metrics_.CheckpointSetAside();
  ProjectionCheckpoint checkpoint;
  MutexLock lock(&mu_);
  absl::Status resumed = ResumeFromCheckpoint(&checkpoint);
  if (!resumed.ok()) return resumed;
  applied_ = saved_ = checkpoint.applied_sequence;
  const uint64_t checkpoint_sequence = applied_;
  const Stopwatch catch_up;
  absl::Status caught_up = CatchUp();
  metrics_.CaughtUpOnOpen(applied_ - checkpoint_sequence, catch_up.ElapsedMicros());
  // Those of the checkpoint, when the catch-up applied nothing.
  metrics_.AnomaliesHeld(live_->AnomalyCounts());
  if (!caught_up.ok()) return caught_up;
  return FinishPendingErasures();
}

absl::StatusOr<std::vector<ProjectionDigest>> EngineImpl::Rebuild() {
  MutexLock lock(&mu_);
  absl::Status status = CatchUp();
  if (!status.ok()) return status;
  // The live digests are computed on a second thread while the replay runs,
  // not beside the serialization that follows it: each serializes a whole
  // state, and the rebuild's peak memory is where the two sets and the
  // rebuilt states' bytes are all held. The rebuilt states are serialized
  // once, for their digests and the checkpoint.
  std::vector<ProjectionDigest> live;
  const ProjectionSet* const live_set = live_.get();  // not changed until the join
  std::thread live_digests([&] { live = live_set->Digests(); });
  auto fresh = std::make_unique<ProjectionSet>();
  fresh->KeepMemberSnapshots(SnapshotInterval());
  status = Replay(applied_, fresh.get());
  live_digests.join();
  if (!status.ok()) return status;
  ProjectionCheckpoint checkpoint = fresh->ToCheckpoint(applied_);
  // Every snapshot again, equal to those saved before (or missing).
  checkpoint.member_snapshots = fresh->TakeMemberSnapshots();
  std::vector<ProjectionDigest> rebuilt = ProjectionSet::DigestsOf(checkpoint);
  for (size_t i = 0; i < rebuilt.size(); ++i) {
    if (rebuilt[i].digest != live[i].digest) {
      // The live state came from the saved checkpoint and the events
      // after it: the checkpoint is damaged data, not a failed call.
      return absl::DataLossError(absl::StrCat(
          "projection ", rebuilt[i].name, ": rebuilt digest ", HashHex(rebuilt[i].digest),
          " differs from the live digest ", HashHex(live[i].digest), " at sequence ", applied_,
          "; the projections saved under ", directory_, "/", internal::kProjectionsDirectory,
          " do not match a replay of the log"));
    }
  }
  live_ = std::move(fresh);
  metrics_.AnomaliesHeld(live_->AnomalyCounts());
  if (read_only_) return rebuilt;
  absl::StatusOr<std::string> hash = ChainHashBytesAt(applied_);
  if (!hash.ok()) return hash.status();
  checkpoint.applied_hash = std::move(*hash);
  status = SaveCheckpoint(checkpoint);
  if (!status.ok()) return status;
  return rebuilt;
}

absl::StatusOr<AnomaliesView> EngineImpl::Anomalies() const {
  MutexLock lock(&mu_);
  absl::Status status = CatchUp();
  if (!status.ok()) return status;
  AnomaliesView view = live_->Anomalies();
  view.as_of_sequence = applied_;
  return view;
}

absl::Status EngineImpl::Checkpoint() {
  if (absl::Status writable = CheckWritable(); !writable.ok()) return writable;
  MutexLock lock(&mu_);
  absl::Status status = CatchUp();
  if (!status.ok()) return status;
  return SaveCheckpoint();
}

MetricsSnapshot EngineImpl::Metrics() const {
  MetricsSnapshot snapshot;
  snapshot.ledger = ledger_->Metrics();
  snapshot.engine = metrics_.Snapshot(snapshot.ledger.head_sequence);
  return snapshot;
}

absl::Status EngineImpl::CatchUp() const {
  const uint64_t head = ledger_->Head().sequence;
  const uint64_t applied_before = applied_;
  while (applied_ < head) {
    const uint64_t to = std::min<uint64_t>(head, applied_ + kCatchUpChunk);
    absl::Status status =
        ledger_->Scan(applied_ + 1, to, [&](const v1::Envelope& envelope) -> absl::Status {
          mu_.AssertHeld();  // the scan runs on this thread
          absl::Status applied = live_->Apply(envelope);
          if (!applied.ok()) return applied;
          stream_versions_[envelope.stream_id()] = envelope.stream_version();
          applied_ = envelope.sequence();
          return absl::OkStatus();
        });
    if (!status.ok()) return status;
    if (applied_ - saved_ >= options_.checkpoint_interval_events && !read_only_) {
      status = SaveCheckpoint();
      if (!status.ok()) return status;
    }
  }
  metrics_.Applied(applied_, applied_ - applied_before, /*at_head=*/true);
  if (applied_ != applied_before) metrics_.AnomaliesHeld(live_->AnomalyCounts());
  return absl::OkStatus();
}

absl::Status EngineImpl::SaveCheckpoint() const {
  if (store_ == nullptr) {  // kept in memory only
    saved_ = applied_;
    return absl::OkStatus();
  }
  ProjectionCheckpoint checkpoint = live_->ToCheckpoint(applied_);
  absl::StatusOr<std::string> hash = ChainHashBytesAt(applied_);
  if (!hash.ok()) return hash.status();
  checkpoint.applied_hash = std::move(*hash);
  // Lost if the save fails: a query then starts from an earlier snapshot.
  checkpoint.member_snapshots = live_->TakeMemberSnapshots();
  return SaveCheckpoint(checkpoint);
}

absl::Status EngineImpl::SaveCheckpoint(const ProjectionCheckpoint& checkpoint) const {
  if (store_ == nullptr) return absl::OkStatus();  // kept in memory only (Rebuild)
  absl::Status status = store_->Save(checkpoint);
  if (status.ok()) {
    saved_ = applied_;
    metrics_.CheckpointSaved();
  }
  return status;
}

absl::Status EngineImpl::CheckWritable() const {
  if (!read_only_) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "the engine is open read-only (LedgerOptions::read_only): commands need a writing open");
}

absl::StatusOr<std::string> EngineImpl::ChainHashBytesAt(uint64_t sequence) const {
  absl::StatusOr<Hash> hash = ledger_->HashAt(sequence);
  if (!hash.ok()) return hash.status();
  return std::string(reinterpret_cast<const char*>(hash->data()), hash->size());
}

absl::Status EngineImpl::ResumeFromCheckpoint(ProjectionCheckpoint* checkpoint) {
  if (store_ == nullptr) return absl::OkStatus();
  absl::StatusOr<ProjectionCheckpoint> loaded = store_->Load();
  std::string damage;
  if (!loaded.ok()) {
    if (!absl::IsDataLoss(loaded.status())) return loaded.status();
    damage = std::string(loaded.status().message());
  } else if (loaded->applied_sequence == 0) {
    return absl::OkStatus();
  } else if (loaded->applied_sequence > ledger_->Head().sequence) {
    damage = absl::StrCat("it is at sequence ", loaded->applied_sequence,
                          ", past the ledger's head ", ledger_->Head().sequence);
  } else if (loaded->applied_hash.empty() || !live_->HasEveryState(*loaded)) {
    // Saved by a build with fewer projections, an older state format or
    // no chain hash: the log is the source of truth, so every projection
    // is rebuilt from it. Cleared first: such a checkpoint may hold states
    // no longer saved (the birth dates of builds that kept them in the
    // clear).
    return read_only_ ? absl::OkStatus() : store_->Clear();
  } else {
    absl::StatusOr<std::string> hash = ChainHashBytesAt(loaded->applied_sequence);
    if (!hash.ok()) return hash.status();
    if (*hash != loaded->applied_hash) {
      damage = absl::StrCat("it was taken of another log (its chain hash at sequence ",
                            loaded->applied_sequence, " differs from this ledger's)");
    } else {
      absl::Status restored = live_->Restore(*loaded);
      if (restored.ok()) {
        *checkpoint = std::move(*loaded);
        return absl::OkStatus();
      }
      if (!absl::IsDataLoss(restored) && !absl::IsInvalidArgument(restored)) return restored;
      damage = std::string(restored.message());
      live_ = std::make_unique<ProjectionSet>();
      live_->KeepMemberSnapshots(SnapshotInterval());
    }
  }
  metrics_.CheckpointSetAside();
  if (read_only_) {
    notice_(absl::StrCat("the projections' checkpoint is not used: ", damage,
                         "; the projections are replayed from the log (a writing command "
                         "sets it aside and saves a new one)"));
    store_.reset();
    return absl::OkStatus();
  }
  store_.reset();  // closed before its directory is renamed
  absl::StatusOr<std::unique_ptr<ProjectionStore>> fresh =
      SetAsideProjectionStore(directory_, damage, notice_);
  if (!fresh.ok()) return fresh.status();
  store_ = std::move(*fresh);
  return absl::OkStatus();
}

absl::Status EngineImpl::Replay(uint64_t to, ProjectionSet* set) const {
  return ReplayLog(*ledger_, 1, to, options_.replay_threads, set);
}

}  // namespace internal

bool ContinuesDecision(const v1::Envelope& envelope) {
  return internal::ContinuesDecision(envelope);
}

absl::StatusOr<v1::CalendarDaysDeclared> ParseCalendarFile(absl::string_view text) {
  return projections::ParseCalendarFile(text);
}

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::OpenPostgres(const std::string& uri,
                                                             const LedgerOptions& options) {
#ifdef LOYALTY_WITH_POSTGRES
  return internal::PostgresLedger::Open(uri, options);
#else
  (void)uri;
  (void)options;
  return absl::UnimplementedError("Ledger::OpenPostgres: this build has no PostgreSQL ledger "
                                  "(LOYALTY_POSTGRES)");
#endif
}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(const std::string& directory,
                                                     const EngineOptions& options) {
  return internal::OpenEngineWithHooks(directory, options, internal::StorageHooks());
}

absl::StatusOr<std::unique_ptr<Engine>> internal::OpenEngineWithHooks(const std::string& directory,
                                                                      const EngineOptions& options,
                                                                      const StorageHooks& hooks) {
  absl::Status valid = CheckReplayThreads(options.replay_threads);
  if (!valid.ok()) return valid;
  if (!options.postgres_uri.empty()) {
#ifdef LOYALTY_WITH_POSTGRES
    return OpenEngineOnPostgres(directory, options);
#else
    return absl::UnimplementedError(
        "EngineOptions::postgres_uri: this build has no PostgreSQL ledger (LOYALTY_POSTGRES)");
#endif
  }
  absl::StatusOr<std::unique_ptr<Ledger>> ledger =
      RocksDbLedger::Open(directory, options.ledger, hooks);
  if (!ledger.ok()) return ledger.status();
  // The ledger holds the directory's lock (unless read-only, when nothing
  // is written), so the stores beside it are ours.
  int stores_set_aside = 0;
  absl::StatusOr<std::unique_ptr<internal::ProjectionStore>> store = internal::OpenProjectionStore(
      directory, options.ledger.read_only, internal::NoticeSinkOf(options), &stores_set_aside);
  if (!store.ok()) return store.status();
  auto engine = std::make_unique<internal::EngineImpl>(options, directory, std::move(*ledger),
                                                       std::move(*store));
  absl::Status started = engine->OpenMemberKeys();
  if (!started.ok()) return started;
  started = engine->Start(stores_set_aside);
  if (!started.ok()) return started;
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace loyalty
