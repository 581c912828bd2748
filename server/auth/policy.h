// The policy table: for every gRPC method the server serves, who may call it.
//
// One entry per full method name ("/yardgate.v1.GateService/SubmitArrival"): the roles that may
// call it, whether callers without any credentials may (the health service only), and two
// request-scoped rules that need the parsed request:
//
//   lane   for lane principals: which request field names the lane (or a visit, whose lane is
//          looked up); a lane principal may act only for its own lanes.
//   actor  a request field naming the person acting (officer_id, clerk_id): a principal that is
//          a person or a system must name itself there. Devices (lane, seal_terminal) act for
//          whoever holds them and are not checked.
//
// A method with no entry is refused for everyone, so a new RPC fails closed until the table
// says who may call it. The table is data, in policy.cc, in one place; README.md beside this
// file prints it.
//
// CheckCaller is the method-level rule (applied by the AuthMetadataProcessor to every call
// before any handler runs); CheckRequest adds the lane and actor rules (applied by
// Authorizer::Authorize once the request is parsed). Both are pure functions, tested without gRPC.
//
// Thread-safety: the table is constant; every function here is safe to call from any thread.
#ifndef YARDGATE_SERVER_AUTH_POLICY_H_
#define YARDGATE_SERVER_AUTH_POLICY_H_

#include <cstdint>
#include <functional>
#include <string>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "server/auth/principal.h"

namespace yardgate::auth {

struct LaneScope {
  enum class Kind : uint8_t {
    kNone,        // the method is not about one lane
    kLaneField,   // `field` holds the lane id
    kVisitField,  // `field` holds a visit id; the visit's lane is looked up
  };
  Kind kind = Kind::kNone;
  absl::string_view field;
};

constexpr LaneScope LaneIn(absl::string_view field) { return {LaneScope::Kind::kLaneField, field}; }
constexpr LaneScope LaneOfVisitIn(absl::string_view field) { return {LaneScope::Kind::kVisitField, field}; }

struct MethodPolicy {
  absl::string_view method;  // "/package.Service/Method"
  RoleSet roles;            // who may call it
  bool anyone = false;      // also callers with no credentials at all
  LaneScope lane = {};      // applies to lane principals; every yardgate entry open to them has one
  absl::string_view actor_field = {};  // a string field that must equal a non-device caller's id
};

// Every entry, in the order of policy.cc.
absl::Span<const MethodPolicy> PolicyTable();

// The entry for a full method name, or null: no policy, refuse.
const MethodPolicy* FindPolicy(absl::string_view method);

// The descriptor of a full method name ("/pkg.Service/Method") in the generated pool, or null
// (unknown, or its proto not linked into this binary).
const google::protobuf::MethodDescriptor* FindMethodDescriptor(absl::string_view method);

// The entry of the method whose request message is `request_type`, among the table's methods
// found in the generated descriptor pool (so Authorize needs no method name). Null when no
// entry's method takes it; INTERNAL when several methods take it, since then the request does
// not say which method was called (give each RPC its own request message).
absl::StatusOr<const MethodPolicy*> FindPolicyForRequest(const google::protobuf::Descriptor& request_type);

// The method-level rule. `caller` is null when the call carries no credentials. OK, or
// UNAUTHENTICATED (no credentials for a method that needs them) or PERMISSION_DENIED (no
// policy, or a role the policy does not name), with a message naming the method and the role.
// `policy` is FindPolicy(method), passed in so callers look it up once.
absl::Status CheckCaller(absl::string_view method, const MethodPolicy* policy, const Principal* caller);

// The lane of a visit, for lane scopes that name a visit: NOT_FOUND when there is no such visit.
using LaneOfVisit = std::function<absl::StatusOr<std::string>(const std::string& visit_id)>;

// The request-level rules for a caller CheckCaller let through: the lane scope (lane principals)
// and the actor field (people and systems). PERMISSION_DENIED naming the method, the caller and
// the offending value; INTERNAL when the request lacks the field the table names (a table and
// proto out of step, which policy_test catches). Other errors from `lane_of_visit` pass through.
absl::Status CheckRequest(const MethodPolicy& policy, const Principal& caller, const google::protobuf::Message& request,
                          const LaneOfVisit& lane_of_visit);

}  // namespace yardgate::auth

#endif  // YARDGATE_SERVER_AUTH_POLICY_H_
