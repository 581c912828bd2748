#include "server/auth/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include <google/protobuf/descriptor.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/auth/testing.h"
#include "yardgate/v1/gate_service.pb.h"
#include "yardgate/v1/seal_service.pb.h"
#include "yardgate/v1/terminal_service.pb.h"

namespace yardgate::auth {
namespace {

using enum Role;
using ::testing::HasSubstr;

// RPCs the gate-core work adds; their entries are in the table before the protos have them.
const std::set<std::string> kAnnounced = {
    "/yardgate.v1.GateService/ResetLaneFault",         "/yardgate.v1.GateService/CloseBarrier",
    "/yardgate.v1.GateService/CancelAllow",            "/yardgate.v1.SealService/RegisterTerminal",
    "/yardgate.v1.TerminalService/GetAppointment",     "/yardgate.v1.TerminalService/ListAppointments",
    "/yardgate.v1.TerminalService/UpsertAppointments", "/yardgate.v1.TerminalService/ListAudit",
    "/yardgate.v1.TerminalService/GetContainer",       "/yardgate.v1.TerminalService/ListContainers",
    "/yardgate.v1.TerminalService/ReportYardMove",     "/yardgate.v1.TerminalService/ListCodecoMessages",
    "/yardgate.v1.TerminalService/GetCodecoMessage",
};

TEST(PolicyTableTest, CoversEveryMethodOfTheThreeServices) {
  const std::vector<const google::protobuf::MethodDescriptor*> methods = YardgateServiceMethods();
  EXPECT_GE(methods.size(), 16u);
  for (const google::protobuf::MethodDescriptor* m : methods) {
    EXPECT_NE(FindPolicy(MethodPath(*m)), nullptr) << MethodPath(*m) << " has no entry in the policy table";
  }
  for (const char* path : {"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch",
                           "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"}) {
    EXPECT_NE(FindPolicy(path), nullptr) << path;
  }
}

TEST(PolicyTableTest, EveryEntryIsWellFormed) {
  std::set<std::string> seen;
  for (const MethodPolicy& p : PolicyTable()) {
    const std::string method(p.method);
    EXPECT_TRUE(seen.insert(method).second) << method << " appears twice";
    EXPECT_EQ(method.rfind('/'), method.find('/', 1)) << method;
    EXPECT_EQ(method[0], '/') << method;
    EXPECT_FALSE(p.roles.empty()) << method;
    // A lane principal is always confined to its lanes in the yardgate services (health and
    // reflection know nothing of lanes).
    if (p.roles.Has(kLane) && absl::StartsWith(method, "/yardgate.")) {
      EXPECT_NE(p.lane.kind, LaneScope::Kind::kNone) << method;
    }
    // Only the health service is open to callers without credentials.
    EXPECT_EQ(p.anyone, absl::StartsWith(method, "/grpc.health.v1.Health/")) << method;
  }
}

TEST(PolicyTableTest, EntriesNameRealMethodsAndFields) {
  for (const MethodPolicy& p : PolicyTable()) {
    if (!absl::StartsWith(p.method, "/yardgate.")) continue;
    const google::protobuf::MethodDescriptor* m = FindMethodDescriptor(p.method);
    if (m == nullptr) {
      EXPECT_TRUE(kAnnounced.count(std::string(p.method))) << p.method << " is no method of the protos";
      continue;
    }
    for (absl::string_view field : {p.lane.field, p.actor_field}) {
      if (field.empty()) continue;
      const google::protobuf::FieldDescriptor* f = m->input_type()->FindFieldByName(std::string(field));
      ASSERT_NE(f, nullptr) << p.method << ": " << m->input_type()->full_name() << " has no field " << field;
      EXPECT_EQ(f->type(), google::protobuf::FieldDescriptor::TYPE_STRING) << p.method << " " << field;
      EXPECT_FALSE(f->is_repeated()) << p.method << " " << field;
    }
  }
}

TEST(PolicyTableTest, EachRequestTypeNamesOneMethod) {
  std::map<std::string, std::string> by_type;
  for (const google::protobuf::MethodDescriptor* m : YardgateServiceMethods()) {
    const auto [it, inserted] = by_type.emplace(m->input_type()->full_name(), MethodPath(*m));
    EXPECT_TRUE(inserted) << MethodPath(*m) << " and " << it->second << " share " << it->first
                          << ": Authorize could not tell them apart";
    absl::StatusOr<const MethodPolicy*> p = FindPolicyForRequest(*m->input_type());
    ASSERT_TRUE(p.ok()) << p.status();
    ASSERT_NE(*p, nullptr) << MethodPath(*m);
    EXPECT_EQ((*p)->method, MethodPath(*m));
  }
  EXPECT_EQ(*FindPolicyForRequest(*v1::Seal::descriptor()), nullptr);
}

// The issue's minimum, stated here on its own so that an edit of the table that breaks it fails.
TEST(PolicyTableTest, GivesTheIssuesMinimum) {
  const std::set<Role> kReaders = {kTerminalSystem, kClerk, kAdmin};
  const std::map<std::string, std::set<Role>> expected = {
      {"/yardgate.v1.GateService/SubmitArrival", {kLane}},
      {"/yardgate.v1.GateService/ReportPassage", {kLane}},
      {"/yardgate.v1.GateService/RequestAssistance", {kLane}},
      {"/yardgate.v1.GateService/ResetLaneFault", {kClerk, kAdmin}},
      {"/yardgate.v1.GateService/CloseBarrier", {kClerk, kAdmin}},
      {"/yardgate.v1.TerminalService/SetCustomsStatus", {kCustoms}},
      {"/yardgate.v1.TerminalService/UpsertAppointment", {kTerminalSystem}},
      {"/yardgate.v1.TerminalService/UpsertAppointments", {kTerminalSystem}},
      {"/yardgate.v1.TerminalService/CancelAppointment", {kTerminalSystem}},
      {"/yardgate.v1.TerminalService/ResolveTrouble", {kClerk}},
      {"/yardgate.v1.TerminalService/Subscribe", kReaders},
      {"/yardgate.v1.TerminalService/ListVisits", kReaders},
      {"/yardgate.v1.TerminalService/GetVisit", kReaders},
      {"/yardgate.v1.TerminalService/ListTroubleVisits", kReaders},
      {"/yardgate.v1.SealService/ApplySeal", {kSealTerminal, kOfficer}},
      {"/yardgate.v1.SealService/ReportSealEvent", {kSealTerminal, kOfficer}},
      {"/yardgate.v1.SealService/RequestUnlock", {kOfficer}},
  };
  for (const auto& [method, roles] : expected) {
    const MethodPolicy* p = FindPolicy(method);
    ASSERT_NE(p, nullptr) << method;
    std::set<Role> allowed;
    for (Role r : kAllRoles) {
      if (p->roles.Has(r)) allowed.insert(r);
    }
    EXPECT_EQ(allowed, roles) << method << " is for " << p->roles.ToString();
    EXPECT_FALSE(p->anyone) << method;
  }
  EXPECT_EQ(FindPolicy("/yardgate.v1.GateService/SubmitArrival")->lane.field, "lane_id");
  EXPECT_EQ(FindPolicy("/yardgate.v1.GateService/ReportPassage")->lane.kind, LaneScope::Kind::kVisitField);
}

TEST(CheckCallerTest, RefusesWithTheMethodAndTheRole) {
  const Principal clerk{kClerk, "clerk-7", {}};
  const Principal customs{kCustoms, "cn-customs", {}};
  const std::string set_status = "/yardgate.v1.TerminalService/SetCustomsStatus";
  const MethodPolicy* p = FindPolicy(set_status);
  EXPECT_TRUE(CheckCaller(set_status, p, &customs).ok());
  const absl::Status wrong_role = CheckCaller(set_status, p, &clerk);
  EXPECT_EQ(wrong_role.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(wrong_role.message(),
            "/yardgate.v1.TerminalService/SetCustomsStatus may not be called by clerk clerk-7 (role clerk): it is for "
            "customs");
  const absl::Status nobody = CheckCaller(set_status, p, nullptr);
  EXPECT_EQ(nobody.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(nobody.message()), HasSubstr("/yardgate.v1.TerminalService/SetCustomsStatus needs credentials"));
  const absl::Status no_policy = CheckCaller("/yardgate.v1.GateService/OpenAllBarriers", nullptr, &clerk);
  EXPECT_EQ(no_policy.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(no_policy.message(),
            "/yardgate.v1.GateService/OpenAllBarriers has no policy: nobody may call it until the policy table says "
            "who may (refused for clerk clerk-7)");
  EXPECT_EQ(FindPolicy("/yardgate.v1.GateService/OpenAllBarriers"), nullptr);
  EXPECT_TRUE(CheckCaller("/grpc.health.v1.Health/Check", FindPolicy("/grpc.health.v1.Health/Check"), nullptr).ok());
}

class CheckRequestTest : public ::testing::Test {
 protected:
  const Principal kiosk_{kLane, "lane-L1", {"L1"}};
  const LaneOfVisit lane_of_visit_ = [](const std::string& visit) -> absl::StatusOr<std::string> {
    if (visit == "v-on-L1") return std::string("L1");
    if (visit == "v-on-L2") return std::string("L2");
    if (visit == "v-store-down") return absl::UnavailableError("store unavailable");
    return absl::NotFoundError(visit);
  };
};

TEST_F(CheckRequestTest, LanePrincipalsActForTheirOwnLanes) {
  const MethodPolicy& submit = *FindPolicy("/yardgate.v1.GateService/SubmitArrival");
  v1::SubmitArrivalRequest own, other;
  own.set_lane_id("L1");
  other.set_lane_id("L2");
  EXPECT_TRUE(CheckRequest(submit, kiosk_, own, lane_of_visit_).ok());
  const absl::Status refused = CheckRequest(submit, kiosk_, other, lane_of_visit_);
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.message(),
            "/yardgate.v1.GateService/SubmitArrival: lane lane-L1 (lanes L1) may act for its own lanes only, not for "
            "lane 'L2'");
  // Readers are not lane principals: the lane scope does not apply to them.
  const MethodPolicy& watch = *FindPolicy("/yardgate.v1.GateService/WatchLane");
  v1::WatchLaneRequest watch_l2;
  watch_l2.set_lane_id("L2");
  EXPECT_TRUE(CheckRequest(watch, Principal{kClerk, "clerk-7", {}}, watch_l2, lane_of_visit_).ok());
  EXPECT_FALSE(CheckRequest(watch, kiosk_, watch_l2, lane_of_visit_).ok());
}

TEST_F(CheckRequestTest, APassageIsScopedByItsVisitsLane) {
  const MethodPolicy& passage = *FindPolicy("/yardgate.v1.GateService/ReportPassage");
  v1::ReportPassageRequest r;
  r.set_visit_id("v-on-L1");
  EXPECT_TRUE(CheckRequest(passage, kiosk_, r, lane_of_visit_).ok());
  r.set_visit_id("v-on-L2");
  EXPECT_EQ(CheckRequest(passage, kiosk_, r, lane_of_visit_).message(),
            "/yardgate.v1.GateService/ReportPassage: lane lane-L1 (lanes L1) may act for its own lanes only, not for "
            "lane 'L2' (of visit 'v-on-L2')");
  r.set_visit_id("v-unknown");
  EXPECT_EQ(CheckRequest(passage, kiosk_, r, lane_of_visit_).code(), absl::StatusCode::kPermissionDenied);
  r.set_visit_id("v-store-down");
  EXPECT_EQ(CheckRequest(passage, kiosk_, r, lane_of_visit_).code(), absl::StatusCode::kUnavailable);
}

TEST_F(CheckRequestTest, PeopleActAsThemselvesDevicesForTheirHolder) {
  const MethodPolicy& unlock = *FindPolicy("/yardgate.v1.SealService/RequestUnlock");
  v1::RequestUnlockRequest r;
  r.set_officer_id("officer-3");
  EXPECT_TRUE(CheckRequest(unlock, Principal{kOfficer, "officer-3", {}}, r, lane_of_visit_).ok());
  EXPECT_EQ(CheckRequest(unlock, Principal{kOfficer, "officer-4", {}}, r, lane_of_visit_).message(),
            "/yardgate.v1.SealService/RequestUnlock: officer officer-4 may act only as itself, not as officer_id "
            "'officer-3'");
  const MethodPolicy& apply = *FindPolicy("/yardgate.v1.SealService/ApplySeal");
  v1::ApplySealRequest a;
  a.set_officer_id("officer-3");
  EXPECT_TRUE(CheckRequest(apply, Principal{kSealTerminal, "seal-ST1", {}}, a, lane_of_visit_).ok());
}

TEST_F(CheckRequestTest, AFieldTheRequestLacksIsAnInternalError) {
  MethodPolicy broken = *FindPolicy("/yardgate.v1.SealService/RequestUnlock");
  broken.actor_field = "clerk_id";
  v1::RequestUnlockRequest r;
  const absl::Status s = CheckRequest(broken, Principal{kOfficer, "officer-3", {}}, r, lane_of_visit_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(s.message()), HasSubstr("yardgate.v1.RequestUnlockRequest does not have"));
}

// README.md beside this file shows the table; this keeps the two the same.
std::string MarkdownRow(const MethodPolicy& p) {
  std::string who = p.anyone ? "anyone, no credentials needed"
                    : p.roles.ToString() == RoleSet::All().ToString() ? "any role"
                                                                        : p.roles.ToString();
  std::string lane;
  if (p.lane.kind == LaneScope::Kind::kLaneField) lane = absl::StrCat("`", p.lane.field, "`");
  if (p.lane.kind == LaneScope::Kind::kVisitField) lane = absl::StrCat("lane of visit `", p.lane.field, "`");
  const std::string actor = p.actor_field.empty() ? "" : absl::StrCat("`", p.actor_field, "`");
  return absl::StrCat("| `", p.method, "` | ", who, " | ", lane, " | ", actor, " |");
}

TEST(PolicyTableTest, ReadmeShowsTheTable) {
  const char* source = std::getenv("YARDGATE_SOURCE_DIR");
  if (source == nullptr) GTEST_SKIP() << "YARDGATE_SOURCE_DIR is not set";
  std::ifstream in(absl::StrCat(source, "/server/auth/README.md"));
  ASSERT_TRUE(in) << "server/auth/README.md";
  std::vector<std::string> rows;
  for (std::string line; std::getline(in, line);) {
    if (absl::StartsWith(line, "| `/")) rows.push_back(line);
  }
  std::string expected;
  for (const MethodPolicy& p : PolicyTable()) absl::StrAppend(&expected, MarkdownRow(p), "\n");
  std::string actual;
  for (const std::string& r : rows) absl::StrAppend(&actual, r, "\n");
  EXPECT_EQ(actual, expected) << "update the table in server/auth/README.md to:\n" << expected;
}

}  // namespace
}  // namespace yardgate::auth
