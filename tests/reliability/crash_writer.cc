// The writer of the crash campaign (tests/crash_campaign_test.cc), run as a
// child process and killed with SIGKILL at a random moment:
//   crash_writer DIRECTORY PREFIX THREADS SEED
// Opens an engine on DIRECTORY (fsync on, frequent checkpoints), and runs
// THREADS writers of the random workload until killed. For every command the
// engine acknowledges it writes one 24-byte record to standard output (a pipe;
// writes this small are atomic): first sequence, last sequence (uint64 each),
// writer and command index (uint32 each), in this machine's byte order. The
// command's id is PREFIX-t<writer>-<index>. Before the first, once the engine
// is open, a ready record: zero sequences, writer 0xffffffff.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "loyalty/engine.h"
#include "tests/reliability/workload.h"

namespace {

struct AckRecord {
  uint64_t first_sequence;
  uint64_t last_sequence;
  uint32_t writer;
  uint32_t index;
};
static_assert(sizeof(AckRecord) == 24);

// 2024-01-01T00:00:00Z.
constexpr int64_t kStartUs = 1704067200LL * 1000000;

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: crash_writer DIRECTORY PREFIX THREADS SEED\n");
    return 2;
  }
  const std::string directory = argv[1];
  const std::string prefix = argv[2];
  const int threads = std::atoi(argv[3]);
  const uint64_t seed = std::strtoull(argv[4], nullptr, 10);

  loyalty::EngineOptions options;
  // Checkpoints every few dozen events, so that kills land in them too.
  options.checkpoint_interval_events = 40;
  // Enrolments carry personal data, sealed under a master key (docs/privacy.md).
  options.master_key = loyalty::MasterKeyFromBytes(std::string(loyalty::kMasterKeyBytes, 'k'));
  auto engine = loyalty::Engine::Open(directory, options);
  if (!engine.ok()) {
    std::fprintf(stderr, "crash_writer: %s\n", std::string(engine.status().message()).c_str());
    return 3;
  }
  // The ready record: the engine is open and caught up.
  const AckRecord ready{0, 0, UINT32_MAX, 0};
  if (write(STDOUT_FILENO, &ready, sizeof(ready)) != sizeof(ready)) return 5;
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&, t] {
      std::mt19937_64 random(seed * 1000 + t);
      loyalty::testing::Workload workload(absl::StrCat(prefix, "-t", t), kStartUs);
      for (uint32_t index = 0;; ++index) {
        loyalty::testing::Workload::Step step = workload.Next(**engine, random);
        if (!step.result.ok()) {
          // Rejections are part of the workload; storage errors are not
          // expected on a healthy disk.
          const absl::StatusCode code = step.result.status().code();
          if (code == absl::StatusCode::kInternal || code == absl::StatusCode::kDataLoss ||
              code == absl::StatusCode::kUnavailable) {
            std::fprintf(stderr, "crash_writer: %s\n",
                         std::string(step.result.status().message()).c_str());
            _exit(4);
          }
          continue;
        }
        if (step.result->sequences.empty()) continue;
        AckRecord record{step.result->sequences.front(), step.result->sequences.back(),
                         static_cast<uint32_t>(t), index};
        if (write(STDOUT_FILENO, &record, sizeof(record)) != sizeof(record)) _exit(5);
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  return 0;
}
