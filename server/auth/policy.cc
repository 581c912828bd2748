#include "server/auth/policy.h"

#include <algorithm>
#include <map>

#include <google/protobuf/descriptor.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace yardgate::auth {
namespace {

using enum Role;

// Reads are open to the systems and people who watch the whole yard; operator calls to those who
// run the lanes.
constexpr RoleSet kReaders = {kTerminalSystem, kClerk, kAdmin};
constexpr RoleSet kOperators = {kClerk, kAdmin};

// clang-format off
constexpr MethodPolicy kTable[] = {
    // GateService. A lane's kiosk or controller acts for its own lanes only; a passage names the
    // visit, whose lane must be one of the caller's. Operators clear faults and close barriers.
    {.method = "/yardgate.v1.GateService/SubmitArrival",     .roles = {kLane}, .lane = LaneIn("lane_id")},
    {.method = "/yardgate.v1.GateService/ReportPassage",     .roles = {kLane}, .lane = LaneOfVisitIn("visit_id")},
    {.method = "/yardgate.v1.GateService/RequestAssistance", .roles = {kLane}, .lane = LaneIn("lane_id")},
    // The kiosk's display follows its own lane; the readers may follow any.
    {.method = "/yardgate.v1.GateService/WatchLane",
     .roles = {kLane, kTerminalSystem, kClerk, kAdmin}, .lane = LaneIn("lane_id")},
    {.method = "/yardgate.v1.GateService/ResetLaneFault",    .roles = kOperators},
    {.method = "/yardgate.v1.GateService/CloseBarrier",      .roles = kOperators},
    {.method = "/yardgate.v1.GateService/CancelAllow",       .roles = kOperators},

    // SealService. Seals are applied and reported from an officer's handheld or by the officer;
    // only an officer in person orders an unlock. Reading a seal is also open to the readers, who
    // see seal reasons on trouble visits and seal events on the stream anyway. Registering an
    // e-lock terminal is the administrator's.
    {.method = "/yardgate.v1.SealService/ApplySeal",       .roles = {kSealTerminal, kOfficer}, .actor_field = "officer_id"},
    {.method = "/yardgate.v1.SealService/ReportSealEvent", .roles = {kSealTerminal, kOfficer}, .actor_field = "officer_id"},
    {.method = "/yardgate.v1.SealService/GetSeal",
     .roles = {kSealTerminal, kOfficer, kTerminalSystem, kClerk, kAdmin}},
    {.method = "/yardgate.v1.SealService/RequestUnlock",   .roles = {kOfficer}, .actor_field = "officer_id"},
    {.method = "/yardgate.v1.SealService/RegisterTerminal", .roles = {kAdmin}},

    // TerminalService. Appointments come from the terminal system only; customs status from
    // customs only; the trouble desk is the clerk's, who must name themself.
    {.method = "/yardgate.v1.TerminalService/UpsertAppointment",  .roles = {kTerminalSystem}},
    {.method = "/yardgate.v1.TerminalService/UpsertAppointments", .roles = {kTerminalSystem}},
    {.method = "/yardgate.v1.TerminalService/CancelAppointment",  .roles = {kTerminalSystem}},
    {.method = "/yardgate.v1.TerminalService/GetAppointment",     .roles = kReaders},
    {.method = "/yardgate.v1.TerminalService/ListAppointments",   .roles = kReaders},
    {.method = "/yardgate.v1.TerminalService/SetCustomsStatus",   .roles = {kCustoms}},
    {.method = "/yardgate.v1.TerminalService/ListVisits",         .roles = kReaders},
    {.method = "/yardgate.v1.TerminalService/GetVisit",           .roles = kReaders},
    {.method = "/yardgate.v1.TerminalService/Subscribe",          .roles = kReaders},
    {.method = "/yardgate.v1.TerminalService/ListTroubleVisits",  .roles = kReaders},
    {.method = "/yardgate.v1.TerminalService/ResolveTrouble",     .roles = {kClerk}, .actor_field = "clerk_id"},
    // The audit trail records who did what and who was refused where: the administrator's only.
    {.method = "/yardgate.v1.TerminalService/ListAudit",          .roles = {kAdmin}},
    // Yard inventory: the terminal system moves boxes in the yard; the readers look them up.
    {.method = "/yardgate.v1.TerminalService/GetContainer",       .roles = kReaders},
    {.method = "/yardgate.v1.TerminalService/ListContainers",     .roles = kReaders},
    {.method = "/yardgate.v1.TerminalService/ReportYardMove",     .roles = {kTerminalSystem}},
    // The CODECO outbox: the terminal system collects its messages; the readers may look.
    {.method = "/yardgate.v1.TerminalService/ListCodecoMessages", .roles = kReaders},
    {.method = "/yardgate.v1.TerminalService/GetCodecoMessage",   .roles = kReaders},

    // Health says SERVING or NOT_SERVING and nothing else: a load balancer probes it without
    // credentials (it cannot hold a token, and gRPC 1.51 tells the processor no peer address, so
    // "without a token on loopback only" cannot be told apart from "anywhere").
    {.method = "/grpc.health.v1.Health/Check", .roles = RoleSet::All(), .anyone = true},
    {.method = "/grpc.health.v1.Health/Watch", .roles = RoleSet::All(), .anyone = true},
    // Reflection describes the API to anyone with credentials (yardgatectl services, grpcurl),
    // but gives an unauthenticated scanner no map.
    {.method = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", .roles = RoleSet::All()},
};
// clang-format on

// The string field `field` of `request`, or INTERNAL when the request has none.
absl::StatusOr<std::string> StringField(absl::string_view method, const google::protobuf::Message& request,
                                        absl::string_view field) {
  const google::protobuf::FieldDescriptor* f = request.GetDescriptor()->FindFieldByName(std::string(field));
  if (f == nullptr || f->is_repeated() || f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
    return absl::InternalError(absl::StrCat(method, ": the policy names the string field '", field, "', which ",
                                            request.GetDescriptor()->full_name(), " does not have"));
  }
  return request.GetReflection()->GetString(request, f);
}

// Request type's full name -> the entry of the one method taking it (null: several do).
using RequestIndex = std::map<std::string, const MethodPolicy*, std::less<>>;

RequestIndex BuildRequestIndex() {
  RequestIndex index;
  for (const MethodPolicy& p : kTable) {
    const google::protobuf::MethodDescriptor* m = FindMethodDescriptor(p.method);
    if (m == nullptr) continue;  // not linked into this binary, or not added to the protos yet
    const auto [it, inserted] = index.emplace(m->input_type()->full_name(), &p);
    if (!inserted) it->second = nullptr;
  }
  return index;
}

}  // namespace

const google::protobuf::MethodDescriptor* FindMethodDescriptor(absl::string_view method) {
  if (method.size() < 2 || method[0] != '/') return nullptr;
  std::string name(method.substr(1));  // "pkg.Service/Method" -> "pkg.Service.Method"
  std::replace(name.begin(), name.end(), '/', '.');
  return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(name);
}

absl::StatusOr<const MethodPolicy*> FindPolicyForRequest(const google::protobuf::Descriptor& request_type) {
  static const RequestIndex* const index = new RequestIndex(BuildRequestIndex());
  const auto it = index->find(request_type.full_name());
  if (it == index->end()) return nullptr;
  if (it->second == nullptr) {
    return absl::InternalError(absl::StrCat(request_type.full_name(),
                                            " is the request of several methods, so it does not say which was called"));
  }
  return it->second;
}

absl::Span<const MethodPolicy> PolicyTable() { return kTable; }

const MethodPolicy* FindPolicy(absl::string_view method) {
  for (const MethodPolicy& p : kTable) {
    if (p.method == method) return &p;
  }
  return nullptr;
}

absl::Status CheckCaller(absl::string_view method, const MethodPolicy* policy, const Principal* caller) {
  const std::string who = caller != nullptr ? caller->ToString() : "a caller without valid credentials";
  if (policy == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat(method, " has no policy: nobody may call it until the policy table says who may (refused for ",
                     who, ")"));
  }
  if (caller == nullptr) {
    if (policy->anyone) return absl::OkStatus();
    return absl::UnauthenticatedError(absl::StrCat(
        method, " needs credentials (a client certificate, or metadata \"authorization: Bearer <token>\"): it is for ",
        policy->roles.ToString()));
  }
  if (!policy->roles.Has(caller->role)) {
    return absl::PermissionDeniedError(absl::StrCat(method, " may not be called by ", who, " (role ",
                                                    RoleName(caller->role), "): it is for ", policy->roles.ToString()));
  }
  return absl::OkStatus();
}

absl::Status CheckRequest(const MethodPolicy& policy, const Principal& caller, const google::protobuf::Message& request,
                          const LaneOfVisit& lane_of_visit) {
  const absl::string_view method = policy.method;
  if (caller.role == Role::kLane && policy.lane.kind != LaneScope::Kind::kNone) {
    absl::StatusOr<std::string> value = StringField(method, request, policy.lane.field);
    if (!value.ok()) return value.status();
    std::string lane = *value;
    if (policy.lane.kind == LaneScope::Kind::kVisitField) {
      absl::StatusOr<std::string> of_visit =
          lane_of_visit ? lane_of_visit(*value) : absl::StatusOr<std::string>(absl::NotFoundError("no visit lookup"));
      if (absl::IsNotFound(of_visit.status())) {
        return absl::PermissionDeniedError(absl::StrCat(method, ": ", caller.ToString(), " may not act for visit '",
                                                        *value, "', which is not on any of its lanes"));
      }
      if (!of_visit.ok()) return of_visit.status();
      lane = *of_visit;
    }
    if (!caller.HasLane(lane)) {
      return absl::PermissionDeniedError(absl::StrCat(
          method, ": ", caller.ToString(), " may act for its own lanes only, not for lane '", lane, "'",
          policy.lane.kind == LaneScope::Kind::kVisitField ? absl::StrCat(" (of visit '", *value, "')") : ""));
    }
  }
  if (!policy.actor_field.empty() && !IsDevice(caller.role)) {
    absl::StatusOr<std::string> actor = StringField(method, request, policy.actor_field);
    if (!actor.ok()) return actor.status();
    if (*actor != caller.id) {
      return absl::PermissionDeniedError(absl::StrCat(method, ": ", caller.ToString(), " may act only as itself, not as ",
                                                      policy.actor_field, " '", *actor, "'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace yardgate::auth
