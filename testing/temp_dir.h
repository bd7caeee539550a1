// A fresh directory under the system's temporary folder, removed at scope end,
// and what the tests look for in the files below one.
#ifndef LOYALTY_TESTING_TEMP_DIR_H_
#define LOYALTY_TESTING_TEMP_DIR_H_

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace loyalty::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "loyalty-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // A path inside the directory.
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Replaces the file at `path` with `content`.
inline void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << content;
}

// The regular files under `directory`, recursively, whose bytes hold
// `needle`: where a value that must not be stored (or must be) was written.
inline std::vector<std::string> FilesHolding(const std::string& directory,
                                             const std::string& needle) {
  std::vector<std::string> holding;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(directory)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream file(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(file)),
                            std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos) holding.push_back(entry.path().string());
  }
  return holding;
}

// The bytes of RocksDB's write-ahead logs (NNNNNN.log) under `directory`,
// recursively: what the next open of its databases replays into memory.
inline uintmax_t WriteAheadLogBytes(const std::string& directory) {
  uintmax_t bytes = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(directory)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && entry.path().extension() == ".log" && name.size() > 4 &&
        name.find_first_not_of("0123456789") == name.size() - 4) {
      bytes += entry.file_size();
    }
  }
  return bytes;
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTING_TEMP_DIR_H_
