#include "cli/flags.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "util/check.h"

namespace loyalty::cli {

void FlagSet::String(absl::string_view name, absl::string_view value_name, absl::string_view help,
                     std::string* value) {
  Add({std::string(name), std::string(value_name), std::string(help), Kind::kString, value});
}

void FlagSet::Uint64(absl::string_view name, absl::string_view value_name, absl::string_view help,
                     uint64_t* value) {
  Add({std::string(name), std::string(value_name), std::string(help), Kind::kUint64, value});
}

void FlagSet::Bool(absl::string_view name, absl::string_view help, bool* value) {
  Add({std::string(name), "", std::string(help), Kind::kBool, value});
}

void FlagSet::Add(Flag flag) {
  LOYALTY_CHECK(flag.value != nullptr);
  LOYALTY_CHECK_MSG(Find(flag.name) == nullptr, "flag --", flag.name, " registered twice");
  flags_.push_back(std::move(flag));
}

FlagSet::Flag* FlagSet::Find(absl::string_view name) {
  for (Flag& flag : flags_) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

bool FlagSet::WasSet(absl::string_view name) const {
  for (const Flag& flag : flags_) {
    if (flag.name == name) return flag.set;
  }
  return false;
}

absl::Status FlagSet::Store(Flag& flag, absl::string_view text) {
  switch (flag.kind) {
    case Kind::kString:
      *static_cast<std::string*>(flag.value) = std::string(text);
      return absl::OkStatus();
    case Kind::kUint64: {
      // SimpleAtoi would accept a sign and surrounding spaces; a count is digits only.
      const bool digits_only =
          !text.empty() && std::all_of(text.begin(), text.end(), absl::ascii_isdigit);
      uint64_t parsed = 0;
      if (!digits_only || !absl::SimpleAtoi(text, &parsed)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "flag --", flag.name, ": \"", text, "\" is not a count (digits 0-9, below 2^64)"));
      }
      *static_cast<uint64_t*>(flag.value) = parsed;
      return absl::OkStatus();
    }
    case Kind::kBool:
      if (text == "true") {
        *static_cast<bool*>(flag.value) = true;
      } else if (text == "false") {
        *static_cast<bool*>(flag.value) = false;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", flag.name, ": \"", text, "\" is not true or false"));
      }
      return absl::OkStatus();
  }
  return absl::InternalError("unreachable flag kind");
}

absl::StatusOr<std::vector<std::string>> FlagSet::Parse(absl::Span<const std::string> args,
                                                        bool stop_at_positional) {
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      positional.insert(positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg == "--help" || arg == "-h") {
      help_requested_ = true;
      return positional;
    }
    if (arg == "-" || !absl::StartsWith(arg, "-")) {
      if (stop_at_positional) {
        positional.insert(positional.end(), args.begin() + i, args.end());
        break;
      }
      positional.push_back(arg);
      continue;
    }
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag ", arg, ": flags are spelled --name"));
    }
    absl::string_view body = absl::string_view(arg).substr(2);
    absl::string_view name = body;
    absl::string_view inline_value;
    const bool has_inline_value = body.find('=') != absl::string_view::npos;
    if (has_inline_value) {
      name = body.substr(0, body.find('='));
      inline_value = body.substr(body.find('=') + 1);
    }
    Flag* flag = Find(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    if (flag->set) {
      return absl::InvalidArgumentError(absl::StrCat("flag --", name, " is given twice"));
    }
    flag->set = true;
    if (has_inline_value) {
      absl::Status stored = Store(*flag, inline_value);
      if (!stored.ok()) return stored;
    } else if (flag->kind == Kind::kBool) {
      *static_cast<bool*>(flag->value) = true;
    } else {
      if (i + 1 == args.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", name, " needs a value (--", name, " ", flag->value_name, ")"));
      }
      absl::Status stored = Store(*flag, args[++i]);
      if (!stored.ok()) return stored;
    }
  }
  return positional;
}

std::string FlagSet::Usage() const {
  std::vector<std::pair<std::string, const std::string*>> rows;
  size_t width = 0;
  for (const Flag& flag : flags_) {
    std::string left = absl::StrCat("--", flag.name);
    if (!flag.value_name.empty()) absl::StrAppend(&left, " ", flag.value_name);
    width = std::max(width, left.size());
    rows.emplace_back(std::move(left), &flag.help);
  }
  std::string out;
  for (const auto& [left, help] : rows) {
    absl::StrAppend(&out, "  ", left, std::string(width - left.size() + 2, ' '), *help, "\n");
  }
  return out;
}

}  // namespace loyalty::cli
