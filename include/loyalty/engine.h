// loyalty::Engine — the facade a service embeds: commands in, views out.
//
// The engine owns a Ledger (the source of truth) and the projections built
// from it (points, tiers, partners, policies). A command is checked against
// the projections, turned into events, and appended in one atomic batch
// together with the events it causes (points earned with a purchase,
// clawbacks with a refund), so the log alone explains every point.
//
// Projection state is checkpointed with the sequence it reflects in one
// write, under DIRECTORY/projections; on open the engine resumes from the
// checkpoint and catches up with the log.
//
// Thread safety: all methods may be called from many threads at once.
// Commands for different members proceed concurrently (optimistic
// concurrency on the member's stream, group commit in the ledger).
#ifndef LOYALTY_ENGINE_H_
#define LOYALTY_ENGINE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loyalty/commands.h"
#include "loyalty/ledger.h"
#include "loyalty/views.h"

namespace loyalty {

struct EngineOptions {
  LedgerOptions ledger;
  // Save the projections' checkpoint after this many newly applied events
  // (and on close). Smaller means less to replay after a crash.
  uint64_t checkpoint_interval_events = 100000;
};

// The sequences a command appended (in batch order); `deduplicated` when the
// ledger already held them (a retry).
using CommandResult = AppendResult;

class Engine {
 public:
  // Opens the ledger in `directory` (creating it as options.ledger allows)
  // and brings the projections up to its head.
  static absl::StatusOr<std::unique_ptr<Engine>> Open(const std::string& directory,
                                                      const EngineOptions& options);
  virtual ~Engine() = default;

  // Commands. Errors: see commands.h; nothing is appended on error.
  virtual absl::StatusOr<CommandResult> Execute(const EnrolMember& command) = 0;
  virtual absl::StatusOr<CommandResult> Execute(const EraseMember& command) = 0;
  virtual absl::StatusOr<CommandResult> Execute(const RecordPurchase& command) = 0;
  virtual absl::StatusOr<CommandResult> Execute(const RecordRefund& command) = 0;
  virtual absl::StatusOr<CommandResult> Execute(const Redeem& command) = 0;
  virtual absl::StatusOr<CommandResult> Execute(const Adjust& command) = 0;
  virtual absl::StatusOr<CommandResult> Execute(const GrantBirthdayBonuses& command) = 0;
  virtual absl::StatusOr<CommandResult> Execute(const SetPolicy& command) = 0;

  // One member, replaying only the member's own stream (and the policy
  // stream): cheap at any point of history. NotFound for an unknown member.
  virtual absl::StatusOr<MemberView> Member(const std::string& member_id, AsOf as_of) const = 0;

  // The whole program: tiers, liability, partner scorecards and digests.
  // AsOf::Now reads the live projections; an earlier point replays the log
  // into fresh projections.
  virtual absl::StatusOr<ProgramView> Program(AsOf as_of) const = 0;

  // Replays the whole log into fresh projections, checks that their digests
  // equal the live ones (Internal if not), and saves them as the checkpoint.
  virtual absl::StatusOr<std::vector<ProjectionDigest>> Rebuild() = 0;

  // Saves the projections' checkpoint now.
  virtual absl::Status Checkpoint() = 0;

  // The underlying log, for reads, verification and subscriptions.
  virtual Ledger& ledger() = 0;
};

}  // namespace loyalty

#endif  // LOYALTY_ENGINE_H_
