// The engine on a ledger in the replicated cluster of scripts/pg-cluster.sh
// (docs/replication.md), which ctest runs it under:
//   scripts/pg-cluster.sh -- build/engine/engine_failover_test
//
// 1. Standbys down: with every process of both standbys frozen, a command is
//    not acknowledged; once one standby is back it is, exactly once.
// 2. Failover under load, repeated: appenders run engine commands
//    (purchases and redemptions, each with its own id) through one engine on
//    the multi-host URI; at a random moment the primary's process group is
//    killed with SIGKILL (the machine lost); an appender retries a command
//    that failed with Unavailable or Aborted, unchanged, until it is
//    acknowledged. The killed node is started again and rejoins as a
//    standby before the next round. Then every acknowledged command is in
//    the log exactly once, at the sequences it was acknowledged with; the
//    log is gap-free; the chain verifies; and the engine's projections, a
//    fresh engine's and a rebuild all have the same digests. A second writer
//    that appended before the rounds and slept through them is refused on
//    its next append, leaving no trace, and its retry goes in after
//    everything acknowledged.
// LOYALTY_FAILOVER_ROUNDS (default 10), LOYALTY_FAILOVER_APPENDERS (4),
// LOYALTY_FAILOVER_COMMANDS (per appender and round, 40) and
// LOYALTY_FAILOVER_SEED (the kill moments; default from the clock, printed)
// size it.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "loyalty/engine.h"
#include "testing/commands.h"
#include "testing/env.h"
#include "testing/events.h"
#include "testing/log_keys.h"
#include "testing/temp_dir.h"
#include "util/pg_session.h"

namespace loyalty {
namespace {

using Clock = std::chrono::steady_clock;
using ::loyalty::testing::kJan2024Us;

using ::loyalty::testing::Env;
using ::loyalty::testing::EnvInt;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The cluster as scripts/pg-cluster.sh describes it in the environment.
class Cluster {
 public:
  bool Load() {
    uri_ = Env("LOYALTY_PG_URI");
    directory_ = Env("LOYALTY_PG_CLUSTER");
    restart_ = Env("LOYALTY_PG_RESTART");
    ctl_ = Env("LOYALTY_PG_CTL");
    for (absl::string_view node : absl::StrSplit(Env("LOYALTY_PG_NODES"), ' ')) {
      std::pair<std::string, std::string> name_port = absl::StrSplit(node, ':');
      ports_.push_back(name_port.second);
    }
    return !uri_.empty() && !directory_.empty() && !restart_.empty() && !ctl_.empty() &&
           ports_.size() == 3;
  }

  const std::string& uri() const { return uri_; }

  // A session to node `n` (1..3) alone.
  absl::StatusOr<std::unique_ptr<util::PgSession>> Node(int n) const {
    return util::PgSession::Connect(absl::StrCat("host=127.0.0.1 port=", ports_[n - 1],
                                                 " dbname=loyalty connect_timeout=2 user=",
                                                 ServerUser()));
  }

  // The node that accepts writes, or 0.
  int Primary() const {
    for (int n = 1; n <= 3; ++n) {
      absl::StatusOr<std::unique_ptr<util::PgSession>> session = Node(n);
      if (!session.ok()) continue;
      absl::StatusOr<util::PgResult> writable =
          (*session)->Query("SELECT NOT pg_is_in_recovery()");
      if (writable.ok() && std::string(PQgetvalue(writable->get(), 0, 0)) == "t") return n;
    }
    return 0;
  }

  // Whether node `n` is the primary with both standbys streaming to it.
  bool Healthy(int n) const {
    absl::StatusOr<std::unique_ptr<util::PgSession>> session = Node(n);
    if (!session.ok()) return false;
    absl::StatusOr<util::PgResult> standbys = (*session)->Query(
        "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'");
    return standbys.ok() && std::string(PQgetvalue(standbys->get(), 0, 0)) == "2";
  }

  // Whether the monitor sees one primary and two secondaries, each in the
  // state it was assigned: a node that rejoined has finished catching up,
  // so it can be promoted when the primary dies.
  bool MonitorSettled() const {
    const std::string command =
        absl::StrCat(ctl_, " show state --pgdata ", directory_, "/monitor 2>/dev/null");
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return false;
    std::string output;
    char buffer[4096];
    for (size_t read; (read = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;) {
      output.append(buffer, read);
    }
    ::pclose(pipe);
    int primaries = 0;
    int secondaries = 0;
    for (absl::string_view line : absl::StrSplit(output, '\n')) {
      std::vector<absl::string_view> cells = absl::StrSplit(line, '|');
      if (cells.size() < 2) continue;
      const absl::string_view reported = absl::StripAsciiWhitespace(cells[cells.size() - 2]);
      const absl::string_view assigned = absl::StripAsciiWhitespace(cells.back());
      if (reported != assigned) continue;
      primaries += reported == "primary";
      secondaries += reported == "secondary";
    }
    return primaries == 1 && secondaries == 2;
  }

  // Waits until some node is the primary with both standbys streaming and
  // the monitor agrees.
  int WaitHealthy(double seconds) const {
    const Clock::time_point start = Clock::now();
    while (SecondsSince(start) < seconds) {
      const int primary = Primary();
      if (primary != 0 && Healthy(primary) && MonitorSettled()) return primary;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return 0;
  }

  int ProcessGroup(int n) const {
    std::ifstream file(absl::StrCat(directory_, "/node", n, ".pgid"));
    int pgid = 0;
    file >> pgid;
    return pgid;
  }

  // Every process of node `n`'s server (postmaster and children).
  std::vector<int> ServerProcesses(int n) const {
    std::ifstream pid_file(absl::StrCat(directory_, "/node", n, "/postmaster.pid"));
    int postmaster = 0;
    pid_file >> postmaster;
    std::vector<int> pids = {postmaster};
    std::ifstream children(absl::StrCat("/proc/", postmaster, "/task/", postmaster, "/children"));
    int child = 0;
    while (children >> child) pids.push_back(child);
    return pids;
  }

  bool Restart(int n) const {
    return std::system(absl::StrCat(restart_, " ", n).c_str()) == 0;
  }

 private:
  // The servers' superuser, whom LOYALTY_PG_URI names
  // (postgresql://USER@host,...).
  std::string ServerUser() const {
    const size_t start = uri_.find("://") + 3;
    return uri_.substr(start, uri_.find('@', start) - start);
  }

  std::string uri_;
  std::string directory_;
  std::string restart_;
  std::string ctl_;
  std::vector<std::string> ports_;
};

std::unique_ptr<Engine> OpenEngine(const std::string& uri, const std::string& checkpoint) {
  EngineOptions options;
  options.postgres_uri = uri;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(checkpoint, options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? std::move(*engine) : nullptr;
}

// Runs `command` until the engine acknowledges it: a lost primary
// (Unavailable: committed or not, unknown) or a moved head (Aborted) is
// retried unchanged, so a retry of a committed command returns its original
// sequences. Counts the retries.
template <typename Command>
absl::StatusOr<CommandResult> ExecuteUntilAcknowledged(Engine& engine, const Command& command,
                                                       std::atomic<int>* retries) {
  const Clock::time_point deadline = Clock::now() + std::chrono::minutes(3);
  absl::StatusOr<CommandResult> result = engine.Execute(command);
  while (!result.ok() &&
         (absl::IsUnavailable(result.status()) || absl::IsAborted(result.status())) &&
         Clock::now() < deadline) {
    ++*retries;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    result = engine.Execute(command);
  }
  return result;
}

class EngineFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(cluster_.Load()) << "run under scripts/pg-cluster.sh"; }

  Cluster cluster_;
  testing::TempDir dir_;
};

TEST_F(EngineFailoverTest, StandbysDownCommandsWaitAndCompleteOnceOneIsBack) {
  std::unique_ptr<Engine> engine = OpenEngine(cluster_.uri(), dir_.Sub("checkpoint"));
  ASSERT_NE(engine, nullptr);
  const int primary = cluster_.WaitHealthy(120);
  ASSERT_NE(primary, 0) << "the cluster is not healthy";
  ASSERT_TRUE(engine->Execute(testing::EnrolCommand("S1", kJan2024Us)).ok());
  std::vector<int> frozen[2];
  int index = 0;
  for (int n = 1; n <= 3; ++n) {
    if (n == primary) continue;
    frozen[index] = cluster_.ServerProcesses(n);
    for (int pid : frozen[index]) ::kill(pid, SIGSTOP);
    ++index;
  }
  std::atomic<bool> done{false};
  absl::StatusOr<CommandResult> result = absl::UnknownError("not run");
  std::thread command([&] {
    result = engine->Execute(testing::PurchaseCommand("S1-p1", "S1", 10000, kJan2024Us + 1));
    done = true;
  });
  // Longer than the monitor takes to find both standbys unhealthy: the
  // quorum still holds the commit back.
  std::this_thread::sleep_for(std::chrono::seconds(6));
  const bool acknowledged_while_frozen = done.load();
  for (int pid : frozen[0]) ::kill(pid, SIGCONT);
  command.join();
  for (int pid : frozen[1]) ::kill(pid, SIGCONT);
  EXPECT_FALSE(acknowledged_while_frozen) << "a command was acknowledged with both standbys down";
  ASSERT_TRUE(result.ok()) << result.status();
  absl::StatusOr<MemberView> member = engine->Member("S1", AsOf::Now());
  ASSERT_TRUE(member.ok()) << member.status();
  EXPECT_EQ(member->earned_points_total, 100);
  ASSERT_NE(cluster_.WaitHealthy(120), 0);
}

TEST_F(EngineFailoverTest, EveryAcknowledgedCommandSurvivesRepeatedFailoversExactlyOnce) {
  const int rounds = EnvInt("LOYALTY_FAILOVER_ROUNDS", 10);
  const int appenders = EnvInt("LOYALTY_FAILOVER_APPENDERS", 4);
  const int commands = EnvInt("LOYALTY_FAILOVER_COMMANDS", 40);
  const uint64_t seed = static_cast<uint64_t>(EnvInt(
      "LOYALTY_FAILOVER_SEED",
      static_cast<int>(std::chrono::system_clock::now().time_since_epoch().count() % 1000000)));
  std::printf("failover rounds: %d, appenders %d, commands %d each per round, seed %llu\n",
              rounds, appenders, commands, static_cast<unsigned long long>(seed));
  std::mt19937_64 random(seed);
  std::unique_ptr<Engine> engine = OpenEngine(cluster_.uri(), dir_.Sub("checkpoint"));
  ASSERT_NE(engine, nullptr);

  std::mutex mu;
  // What each acknowledged command's id was acknowledged with.
  std::map<std::string, std::vector<uint64_t>> acknowledged;
  std::atomic<int> retries{0};
  for (int t = 0; t < appenders; ++t) {
    absl::StatusOr<CommandResult> enrolled = ExecuteUntilAcknowledged(
        *engine, testing::EnrolCommand(absl::StrCat("F", t), kJan2024Us), &retries);
    ASSERT_TRUE(enrolled.ok()) << enrolled.status();
    acknowledged[absl::StrCat("enrol/F", t)] = enrolled->sequences;
  }
  // A second writer that appends once now and then sleeps through every
  // failover: its view of the head is stale when it appends again.
  absl::StatusOr<std::unique_ptr<Ledger>> stale =
      Ledger::OpenPostgres(cluster_.uri(), LedgerOptions());
  ASSERT_TRUE(stale.ok()) << stale.status();
  AppendBatch before;
  before.Add(testing::Purchase("W", "stale-writer-1", 100));
  absl::StatusOr<AppendResult> stale_first = (*stale)->Append(before);
  ASSERT_TRUE(stale_first.ok()) << stale_first.status();
  acknowledged["purchase/stale-writer-1"] = stale_first->sequences;
  // The events of this test: those from the first enrolment on
  // (the enrolments and the stale writer's first append).
  const uint64_t first_sequence =
      stale_first->sequences.front() - static_cast<uint64_t>(appenders);
  std::vector<double> failover_seconds;
  for (int round = 0; round < rounds; ++round) {
    const int primary = cluster_.WaitHealthy(180);
    ASSERT_NE(primary, 0) << "round " << round << ": the cluster is not healthy";
    std::atomic<int> done_commands{0};
    // When each command was acknowledged after the kill.
    std::vector<int64_t> acks_after_kill_us;
    std::atomic<bool> killed{false};
    Clock::time_point killed_at;
    std::vector<std::thread> threads;
    for (int t = 0; t < appenders; ++t) {
      threads.emplace_back([&, t] {
        const std::string member = absl::StrCat("F", t);
        for (int i = 0; i < commands; ++i) {
          const int64_t at_us = kJan2024Us + (round * commands + i + 1) * 1000;
          // Every fourth command spends what the three before it earned.
          const bool redeem = i % 4 == 3;
          const std::string id = absl::StrCat(member, "-", round, "-", i);
          absl::StatusOr<CommandResult> result =
              redeem ? ExecuteUntilAcknowledged(
                           *engine, testing::RedeemCommand(id, member, 30, at_us), &retries)
                     : ExecuteUntilAcknowledged(
                           *engine, testing::PurchaseCommand(id, member, 1000, at_us), &retries);
          ASSERT_TRUE(result.ok()) << id << ": " << result.status();
          std::lock_guard<std::mutex> lock(mu);
          acknowledged[absl::StrCat(redeem ? "redemption/" : "purchase/", id)] = result->sequences;
          if (killed.load()) {
            acks_after_kill_us.push_back(std::chrono::duration_cast<std::chrono::microseconds>(
                                             Clock::now() - killed_at)
                                             .count());
          }
          ++done_commands;
        }
      });
    }
    // The kill, after a random number of this round's commands.
    const int kill_after =
        1 + static_cast<int>(random() % static_cast<uint64_t>(appenders * commands / 2));
    while (done_commands.load() < kill_after) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const int pgid = cluster_.ProcessGroup(primary);
    {
      std::lock_guard<std::mutex> lock(mu);
      killed_at = Clock::now();
      ASSERT_EQ(::kill(-pgid, SIGKILL), 0) << "round " << round;
      killed = true;
    }
    for (std::thread& thread : threads) thread.join();
    ASSERT_FALSE(HasFatalFailure());
    // The failover as the appenders saw it: the longest pause in
    // acknowledgements from the kill on. (A command under way at the kill
    // may still be acknowledged at once: committed before the kill.)
    std::sort(acks_after_kill_us.begin(), acks_after_kill_us.end());
    int64_t pause_us = 0;
    int64_t previous_us = 0;
    for (int64_t ack_us : acks_after_kill_us) {
      pause_us = std::max(pause_us, ack_us - previous_us);
      previous_us = ack_us;
    }
    failover_seconds.push_back(static_cast<double>(pause_us) / 1e6);
    std::printf("round %d: node %d killed after %d commands, node %d promoted; the longest pause "
                "in acknowledgements after the kill %.1f s\n",
                round, primary, kill_after, cluster_.Primary(), failover_seconds.back());
    std::fflush(stdout);
    ASSERT_TRUE(cluster_.Restart(primary)) << "round " << round;
  }

  // The projections: the live ones, a rebuild and a fresh engine agree.
  absl::StatusOr<std::vector<ProjectionDigest>> rebuilt = engine->Rebuild();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  std::unique_ptr<Engine> fresh = OpenEngine(cluster_.uri(), "");
  ASSERT_NE(fresh, nullptr);
  absl::StatusOr<std::vector<ProjectionDigest>> fresh_digests = fresh->Rebuild();
  ASSERT_TRUE(fresh_digests.ok()) << fresh_digests.status();
  ASSERT_EQ(rebuilt->size(), fresh_digests->size());
  for (size_t i = 0; i < rebuilt->size(); ++i) {
    EXPECT_EQ((*rebuilt)[i].digest, (*fresh_digests)[i].digest) << (*rebuilt)[i].name;
  }
  // The stale writer: its first append after the failovers is refused
  // (its connection died with a primary, or its head is behind) and leaves
  // no trace; it reads the head again, and its retry goes in after every
  // acknowledged append, on the one chain.
  auto stored_head = [&]() {
    absl::StatusOr<std::unique_ptr<Ledger>> probe =
        Ledger::OpenPostgres(cluster_.uri(), LedgerOptions());
    EXPECT_TRUE(probe.ok()) << probe.status();
    return probe.ok() ? (*probe)->Head().sequence : 0;
  };
  const uint64_t before_stale = stored_head();
  AppendBatch after;
  after.Add(testing::Purchase("W", "stale-writer-2", 100));
  absl::StatusOr<AppendResult> refused = (*stale)->Append(after);
  ASSERT_FALSE(refused.ok()) << "a writer that slept through the failovers appended at once";
  EXPECT_TRUE(absl::IsUnavailable(refused.status()) || absl::IsAborted(refused.status()))
      << refused.status();
  EXPECT_EQ(stored_head(), before_stale);
  absl::StatusOr<AppendResult> retried = (*stale)->Append(after);
  if (!retried.ok() && absl::IsAborted(retried.status())) retried = (*stale)->Append(after);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->sequences.front(), before_stale + 1);
  acknowledged["purchase/stale-writer-2"] = retried->sequences;

  // Every acknowledged command exactly once, where it was acknowledged.
  absl::StatusOr<std::unique_ptr<Ledger>> reader =
      Ledger::OpenPostgres(cluster_.uri(), LedgerOptions());
  ASSERT_TRUE(reader.ok()) << reader.status();
  const ChainHead head = (*reader)->Head();
  absl::StatusOr<std::map<std::string, uint64_t>> stored =
      testing::SequencesByKey(**reader, first_sequence, head.sequence);
  ASSERT_TRUE(stored.ok()) << stored.status();
  size_t acknowledged_events = 0;
  for (const auto& [key, sequences] : acknowledged) {
    auto it = stored->find(key);
    ASSERT_NE(it, stored->end()) << key << " was acknowledged and is not in the log";
    EXPECT_EQ(it->second, sequences.front()) << key;
    acknowledged_events += sequences.size();
  }
  EXPECT_EQ(acknowledged_events, head.sequence - first_sequence + 1)
      << "events in the log no command acknowledged";
  EXPECT_TRUE((*reader)->Verify(1, head.sequence).ok());
  std::sort(failover_seconds.begin(), failover_seconds.end());
  std::printf("repeated failover: %d rounds, %zu commands acknowledged (%llu events), %d "
              "retries; the longest pause in acknowledgements after a kill: median %.1f s, max "
              "%.1f s\n",
              rounds, acknowledged.size(), static_cast<unsigned long long>(head.sequence),
              retries.load(),
              failover_seconds.empty() ? -1.0 : failover_seconds[failover_seconds.size() / 2],
              failover_seconds.empty() ? -1.0 : failover_seconds.back());
}

}  // namespace
}  // namespace loyalty
