// Memory per member: the engine opened on demo-shaped logs of two sizes,
// every figure read in a fresh process (this program run again with
// --measure DIR), the slope between the two sizes reported per member, so
// that what any engine costs whatever its size (code, caches, threads)
// drops out.
//
// Per log: resident memory and live heap after opening; the peak resident
// memory while opening, answering a program query (Program(now)), saving a
// checkpoint and rebuilding every projection; the checkpoint's bytes on
// disk. Peaks are the kernel's high-water mark (VmHWM), reset before each
// step (/proc/self/clear_refs).
//
// The logs are the demo's seeded workload, generated once each into
// directories under /tmp that later runs reuse:
//   build/bench/memory_bench --benchmark_counters_tabular=true
//   LOYALTY_BENCH_MEMBERS=10000,100000 LOYALTY_BENCH_DAYS=1095 build/bench/memory_bench
// (defaults: 10,000 and 100,000 members, 365 days).
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "benchmark/benchmark.h"
#include "demo/runner.h"
#include "loyalty/engine.h"

namespace loyalty {
namespace {

std::vector<int> MemberCounts() {
  std::vector<int> counts = {10000, 100000};
  const char* text = std::getenv("LOYALTY_BENCH_MEMBERS");
  if (text == nullptr) return counts;
  counts.clear();
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int members = 0;
    if (!absl::SimpleAtoi(part, &members) || members <= 0) {
      std::cerr << "LOYALTY_BENCH_MEMBERS: \"" << text << "\" is not two member counts\n";
      std::abort();
    }
    counts.push_back(members);
  }
  if (counts.size() != 2 || counts[0] >= counts[1]) {
    std::cerr << "LOYALTY_BENCH_MEMBERS: give two counts, the smaller first\n";
    std::abort();
  }
  return counts;
}

int Days() {
  const char* text = std::getenv("LOYALTY_BENCH_DAYS");
  int days = 365;
  if (text != nullptr && (!absl::SimpleAtoi(text, &days) || days <= 0)) {
    std::cerr << "LOYALTY_BENCH_DAYS: \"" << text << "\" is not a number of days\n";
    std::abort();
  }
  return days;
}

// The demo's log of `members` members over `days` days, generated on first
// use; a marker file says it is complete.
std::string PreparedLog(int members, int days) {
  const std::string dir = absl::StrCat(std::filesystem::temp_directory_path().string(),
                                       "/loyalty-memory-bench-", members, "-", days);
  const std::string marker = dir + ".complete";
  if (std::filesystem::exists(marker)) return dir;
  std::cerr << "generating the log of " << members << " members, " << days << " days in " << dir
            << " (once)...\n";
  demo::RunOptions options;
  options.workload.members = members;
  options.workload.days = days;
  options.replace = true;
  options.sync = false;
  absl::StatusOr<demo::RunSummary> summary = demo::RunWorkload(dir, options, nullptr);
  if (!summary.ok()) {
    std::cerr << summary.status() << "\n";
    std::abort();
  }
  std::cerr << summary->events_appended << " events in " << summary->elapsed_ms << " ms\n";
  std::ofstream(marker) << "ok\n";
  return dir;
}

// A field of /proc/self/status, in KiB.
int64_t StatusKib(absl::string_view field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (absl::StartsWith(line, field) && line.size() > field.size() &&
        line[field.size()] == ':') {
      int64_t kib = 0;
      std::string number = line.substr(field.size() + 1);
      number.erase(number.find(" kB"));
      if (absl::SimpleAtoi(number, &kib)) return kib;
    }
  }
  std::cerr << "no " << field << " in /proc/self/status\n";
  std::abort();
}

// Starts a new high-water mark of resident memory from what is resident now.
void ResetPeak() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5\n";
  if (!clear.good()) {
    std::cerr << "cannot reset the peak through /proc/self/clear_refs\n";
    std::abort();
  }
}

int64_t LiveHeapBytes() {
  const struct mallinfo2 info = mallinfo2();
  return static_cast<int64_t>(info.uordblks + info.hblkhd);
}

int64_t DirectoryBytes(const std::string& directory) {
  int64_t bytes = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(directory)) {
    if (entry.is_regular_file()) bytes += static_cast<int64_t>(entry.file_size());
  }
  return bytes;
}

void Check(const absl::Status& status, absl::string_view step) {
  if (status.ok()) return;
  std::cerr << step << ": " << status << "\n";
  std::abort();
}

// The child: one engine on `directory`, each figure printed as "name value".
int Measure(const std::string& directory) {
  EngineOptions options;
  options.ledger.sync = false;
  ResetPeak();
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(directory, options);
  Check(engine.status(), "open");
  std::cout << "open_peak_kib " << StatusKib("VmHWM") << "\n";
  std::cout << "open_rss_kib " << StatusKib("VmRSS") << "\n";
  std::cout << "open_heap_kib " << LiveHeapBytes() / 1024 << "\n";

  ResetPeak();
  absl::StatusOr<ProgramView> program = (*engine)->Program(AsOf::Now());
  Check(program.status(), "program");
  std::cout << "query_peak_kib " << StatusKib("VmHWM") << "\n";

  ResetPeak();
  Check((*engine)->Checkpoint(), "checkpoint");
  std::cout << "checkpoint_peak_kib " << StatusKib("VmHWM") << "\n";
  std::cout << "checkpoint_disk_kib " << DirectoryBytes(directory + "/projections") / 1024
            << "\n";

  ResetPeak();
  Check((*engine)->Rebuild().status(), "rebuild");
  std::cout << "rebuild_peak_kib " << StatusKib("VmHWM") << "\n";
  std::cout << "members " << program->liability.members << "\n";
  return 0;
}

// Runs Measure in a fresh process of this program.
std::map<std::string, double> MeasureInChild(const std::string& directory) {
  const std::string command =
      absl::StrCat("'", std::filesystem::read_symlink("/proc/self/exe").string(),
                   "' --measure '", directory, "'");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) std::abort();
  std::map<std::string, double> figures;
  char line[256];
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    std::vector<std::string> words = absl::StrSplit(absl::StripAsciiWhitespace(line), ' ');
    double value = 0;
    if (words.size() == 2 && absl::SimpleAtod(words[1], &value)) figures[words[0]] = value;
  }
  if (pclose(pipe) != 0) {
    std::cerr << "the measuring process failed: " << command << "\n";
    std::abort();
  }
  return figures;
}

// One iteration: both logs measured; each figure at the larger log (MiB)
// and its slope per member (KB, 1,000 bytes).
void BM_MemoryPerMember(benchmark::State& state) {
  const std::vector<int> counts = MemberCounts();
  const int days = Days();
  const std::string small = PreparedLog(counts[0], days);
  const std::string large = PreparedLog(counts[1], days);
  for (auto _ : state) {
    const std::map<std::string, double> at_small = MeasureInChild(small);
    const std::map<std::string, double> at_large = MeasureInChild(large);
    const double members = at_large.at("members") - at_small.at("members");
    for (const auto& [name, value] : at_large) {
      if (name == "members") continue;
      const std::string figure = name.substr(0, name.size() - 4);  // "_kib"
      state.counters[figure + "_MiB"] = value / 1024;
      state.counters[figure + "_KB_per_member"] =
          (value - at_small.at(name)) * 1024 / 1000 / members;
    }
  }
  state.counters["members"] = counts[1];
  state.counters["days"] = days;
}
BENCHMARK(BM_MemoryPerMember)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

}  // namespace
}  // namespace loyalty

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--measure") return loyalty::Measure(argv[2]);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
