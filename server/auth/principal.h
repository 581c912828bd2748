// Principal: who is calling the server, as the authorisation layer established it.
//
// A principal is a role, an id and, for a lane principal, the lanes it may act for:
//
//   Principal kiosk{Role::kLane, "lane-L1", {"L1"}};
//   kiosk.ToString();      // "lane lane-L1 (lanes L1)"
//   kiosk.HasLane("L2");   // false
//
// The roles are fixed; which role may call which method is the policy table's business
// (policy.h). Role names are the words used in the config and in refusal messages.
//
// Thread-safety: plain value types.
#ifndef YARDGATE_SERVER_AUTH_PRINCIPAL_H_
#define YARDGATE_SERVER_AUTH_PRINCIPAL_H_

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace yardgate::auth {

enum class Role : uint8_t {
  kLane,            // the kiosk or lane controller of named lanes; client certificate
  kSealTerminal,    // an officer's handheld seal terminal; client certificate
  kOfficer,         // a customs officer in person (applies seals, orders unlocks); token
  kCustoms,         // the customs system that releases and holds containers; token
  kClerk,           // a gate clerk at the trouble desk; token
  kTerminalSystem,  // the terminal operating system: appointments, reads, events; token
  kAdmin,           // the site's administrator; token
};

inline constexpr std::array<Role, 7> kAllRoles = {Role::kLane,    Role::kSealTerminal,   Role::kOfficer,
                                                  Role::kCustoms, Role::kClerk,          Role::kTerminalSystem,
                                                  Role::kAdmin};

// "lane", "seal_terminal", "officer", "customs", "clerk", "terminal_system", "admin".
absl::string_view RoleName(Role role);

// The inverse of RoleName; an error naming the word and the roles there are otherwise.
absl::StatusOr<Role> ParseRole(absl::string_view name);

// Devices act for whoever uses them: a request's "officer_id" sent by a seal terminal names the
// officer holding it, which the terminal cannot prove. People and systems act as themselves.
bool IsDevice(Role role);

// A set of roles, for the policy table.
class RoleSet {
 public:
  constexpr RoleSet() = default;
  constexpr RoleSet(std::initializer_list<Role> roles) {
    for (Role r : roles) bits_ |= Bit(r);
  }
  static constexpr RoleSet All() {
    RoleSet all;
    for (Role r : kAllRoles) all.bits_ |= Bit(r);
    return all;
  }
  constexpr bool Has(Role role) const { return (bits_ & Bit(role)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  // "clerk or admin", "lane", "nobody".
  std::string ToString() const;

 private:
  static constexpr uint32_t Bit(Role r) { return uint32_t{1} << static_cast<int>(r); }
  uint32_t bits_ = 0;
};

struct Principal {
  // Principals come from the config; a default one is a lane of no lanes, which may act for none.
  Role role = Role::kLane;
  std::string id;
  std::vector<std::string> lanes;  // lane principals only: the lanes they may act for

  bool HasLane(absl::string_view lane) const;
  // "clerk clerk-7", "lane lane-L1 (lanes L1, L2)": for messages and audit records.
  std::string ToString() const;

  friend bool operator==(const Principal&, const Principal&) = default;
};

// Ids of principals and lanes as they may appear in the config: letters, digits and . _ @ -
// (so a config line splits on spaces and an id never needs quoting in a message).
bool IsValidId(absl::string_view id);

}  // namespace yardgate::auth

#endif  // YARDGATE_SERVER_AUTH_PRINCIPAL_H_
