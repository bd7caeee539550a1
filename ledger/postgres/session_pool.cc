#include "ledger/postgres/session_pool.h"

namespace loyalty::internal {

absl::StatusOr<std::unique_ptr<util::PgSession>> ConnectLedgerSession(const std::string& conninfo,
                                                                      bool read_only) {
  absl::StatusOr<std::unique_ptr<util::PgSession>> session = util::PgSession::Connect(conninfo);
  if (!session.ok() || !read_only) return session;
  absl::Status status = (*session)->Exec("SET default_transaction_read_only = on");
  if (!status.ok()) return status;
  return session;
}

absl::StatusOr<SessionPool::Lease> SessionPool::Borrow() {
  {
    MutexLock lock(&mu_);
    if (!idle_.empty()) {
      std::unique_ptr<util::PgSession> session = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(session));
    }
  }
  absl::StatusOr<std::unique_ptr<util::PgSession>> session =
      ConnectLedgerSession(conninfo_, read_only_);
  if (!session.ok()) return session.status();
  return Lease(this, std::move(*session));
}

absl::StatusOr<util::PgResult> SessionPool::Lease::Run(const std::string& sql,
                                                      const util::PgParams& params) {
  absl::StatusOr<util::PgResult> result = session_->Run(sql, params);
  if (result.ok() || !absl::IsUnavailable(result.status()) || session_->connected()) {
    return result;
  }
  absl::StatusOr<std::unique_ptr<util::PgSession>> fresh =
      ConnectLedgerSession(pool_->conninfo_, pool_->read_only_);
  if (!fresh.ok()) return result;
  session_ = std::move(*fresh);
  return session_->Run(sql, params);
}

void SessionPool::GiveBack(std::unique_ptr<util::PgSession> session) {
  if (!session->connected()) return;
  MutexLock lock(&mu_);
  if (idle_.size() < kMaxIdleSessions) idle_.push_back(std::move(session));
}

}  // namespace loyalty::internal
