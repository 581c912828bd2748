#include "server/auth/principal.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace yardgate::auth {

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kLane: return "lane";
    case Role::kSealTerminal: return "seal_terminal";
    case Role::kOfficer: return "officer";
    case Role::kCustoms: return "customs";
    case Role::kClerk: return "clerk";
    case Role::kTerminalSystem: return "terminal_system";
    case Role::kAdmin: return "admin";
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  for (Role r : kAllRoles) {
    if (RoleName(r) == name) return r;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown role '", name, "': use ", RoleSet::All().ToString()));
}

bool IsDevice(Role role) { return role == Role::kLane || role == Role::kSealTerminal; }

std::string RoleSet::ToString() const {
  std::vector<absl::string_view> names;
  for (Role r : kAllRoles) {
    if (Has(r)) names.push_back(RoleName(r));
  }
  if (names.empty()) return "nobody";
  if (names.size() == 1) return std::string(names[0]);
  return absl::StrCat(absl::StrJoin(names.begin(), names.end() - 1, ", "), " or ", names.back());
}

bool Principal::HasLane(absl::string_view lane) const {
  return std::find(lanes.begin(), lanes.end(), lane) != lanes.end();
}

std::string Principal::ToString() const {
  std::string out = absl::StrCat(RoleName(role), " ", id);
  if (role == Role::kLane) absl::StrAppend(&out, " (lanes ", absl::StrJoin(lanes, ", "), ")");
  return out;
}

bool IsValidId(absl::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '@' || c == '-';
  });
}

}  // namespace yardgate::auth
