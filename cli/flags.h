// A small command-line flag parser for the loyalty tool.
//
// Syntax: `--name value`, `--name=value`, and `--name` alone for a boolean
// (`--name=true|false` also works). `--` ends the flags: everything after it
// is positional. A lone `-` is positional (it conventionally means standard
// input or output). `--help` and `-h` are always understood. There are no
// other short forms, and no abbreviations: `--fro` is an unknown flag.
//
// Example:
//   uint64_t from_sequence = 1;
//   bool json = false;
//   FlagSet flags;
//   flags.Uint64("from", "N", "first sequence (default: 1)", &from_sequence);
//   flags.Bool("json", "print JSON", &json);
//   absl::StatusOr<std::vector<std::string>> positional = flags.Parse(args);
#ifndef LOYALTY_CLI_FLAGS_H_
#define LOYALTY_CLI_FLAGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace loyalty::cli {

class FlagSet {
 public:
  // Registers `--name`. `*value` holds the default and receives the parsed
  // value; it is not owned and must outlive Parse. `value_name` is how the
  // value is shown in the usage text ("N", "FILE"). Registering a name twice
  // is a programming error (asserted).
  void String(absl::string_view name, absl::string_view value_name, absl::string_view help,
              std::string* value);
  // A decimal count: digits only, no sign, at most 2^64 - 1.
  void Uint64(absl::string_view name, absl::string_view value_name, absl::string_view help,
              uint64_t* value);
  void Bool(absl::string_view name, absl::string_view help, bool* value);

  // Parses `args` (which hold no program or command name), stores the value
  // of every flag given, and returns the positional arguments in order.
  // With `stop_at_positional`, parsing stops at the first positional
  // argument, which is returned with everything after it, unparsed.
  // InvalidArgument, naming the flag, for an unknown flag, a missing or
  // malformed value, or a flag given twice.
  absl::StatusOr<std::vector<std::string>> Parse(absl::Span<const std::string> args,
                                                 bool stop_at_positional = false);

  // True when `--help` or `-h` was among the parsed flags.
  bool help_requested() const { return help_requested_; }

  // True when `--name` was among the parsed flags.
  bool WasSet(absl::string_view name) const;

  // One line per flag, aligned: "  --name VALUE  help".
  std::string Usage() const;

 private:
  enum class Kind { kString, kUint64, kBool };
  struct Flag {
    std::string name;
    std::string value_name;
    std::string help;
    Kind kind;
    void* value;
    bool set = false;
  };

  void Add(Flag flag);
  Flag* Find(absl::string_view name);
  static absl::Status Store(Flag& flag, absl::string_view text);

  std::vector<Flag> flags_;
  bool help_requested_ = false;
};

}  // namespace loyalty::cli

#endif  // LOYALTY_CLI_FLAGS_H_
