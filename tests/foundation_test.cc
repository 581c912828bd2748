// The foundation's "Done when", through real gRPC against an in-process server on loopback
// with a real SQLite file.
#include <algorithm>
#include <fstream>
#include <set>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include <google/protobuf/util/time_util.h>

#include "server/event_log.h"
#include "server/journal.h"
#include "server/auth/credentials.h"
#include "tests/test_server.h"

namespace yardgate::testing {
namespace {


bool IsDecision(const v1::Event& e) { return e.has_visit_decided(); }
// Events that requests cause, as opposed to what the lane hardware reports on its own time.
bool IsFromRequest(const v1::Event& e) { return !e.has_barrier_changed() && !e.has_lane_fault(); }

size_t CountDecisions(const std::vector<v1::Event>& events) {
  return std::count_if(events.begin(), events.end(), IsDecision);
}

class FoundationTest : public ServerFixture {
 protected:
  void SetUp() override { StartServer(); }
};

TEST_F(FoundationTest, HealthIsServingForEveryService) {
  auto health = grpc::health::v1::Health::NewStub(Channel());
  for (const char* service : {"", "yardgate.v1.GateService", "yardgate.v1.SealService", "yardgate.v1.TerminalService"}) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline());
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    ASSERT_TRUE(health->Check(&ctx, req, &resp).ok()) << service;
    EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }
}

TEST_F(FoundationTest, ReflectionListsTheThreeServices) {
  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(Channel());
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  auto stream = reflection->ServerReflectionInfo(&ctx);
  grpc::reflection::v1alpha::ServerReflectionRequest req;
  req.set_list_services("");
  ASSERT_TRUE(stream->Write(req));
  stream->WritesDone();
  std::set<std::string> names;
  grpc::reflection::v1alpha::ServerReflectionResponse resp;
  while (stream->Read(&resp)) {
    for (const auto& s : resp.list_services_response().service()) names.insert(s.name());
  }
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_TRUE(names.count("yardgate.v1.GateService"));
  EXPECT_TRUE(names.count("yardgate.v1.SealService"));
  EXPECT_TRUE(names.count("yardgate.v1.TerminalService"));
}

TEST_F(FoundationTest, MatchingVisitOpensAndWrongCheckDigitIsTroubleNamingTheContainer) {
  Book("A1", "粤B12345", {"CSQU3054383"});
  const v1::Visit open = Arrive("L1", "粤B12345", {"CSQU3054383"});
  EXPECT_EQ(open.decision(), v1::DECISION_OPEN);
  EXPECT_EQ(open.appointment_id(), "A1");
  EXPECT_EQ(open.reasons_size(), 0);
  ASSERT_EQ(open.transactions_size(), 1);
  EXPECT_EQ(open.transactions(0).container_number(), "CSQU3054383");
  EXPECT_TRUE(open.transactions(0).on_truck());
  EXPECT_TRUE(open.transactions(0).seen());

  const v1::Visit trouble = Arrive("L1", "粤B12345", {"CSQU3054384"});
  EXPECT_EQ(trouble.decision(), v1::DECISION_TROUBLE);
  ASSERT_GE(trouble.reasons_size(), 1);
  EXPECT_EQ(trouble.reasons(0).code(), v1::REASON_CODE_CHECK_DIGIT_FAILED);
  EXPECT_EQ(trouble.reasons(0).subject(), "CSQU3054384");
  EXPECT_FALSE(trouble.driver_message_zh().empty());
  EXPECT_FALSE(trouble.driver_message_en().empty());
}

TEST_F(FoundationTest, TroublePaths) {
  Book("A1", "粤B12345", {"CSQU3054383"});
  EXPECT_EQ(Arrive("L1", "粤B99999", {"TGHU1643396"}).reasons(0).code(), v1::REASON_CODE_NO_APPOINTMENT);
  EXPECT_EQ(Arrive("L1", "", {"CSQU3054383"}).reasons(0).code(), v1::REASON_CODE_NO_PLATE);
  // The out-gate lane does not match an in-gate appointment.
  EXPECT_EQ(Arrive("L2", "粤B12345", {"CSQU3054383"}).reasons(0).code(), v1::REASON_CODE_NO_APPOINTMENT);
  const v1::Visit missing = Arrive("L1", "粤B12345", {});
  EXPECT_EQ(missing.decision(), v1::DECISION_TROUBLE);
  EXPECT_EQ(missing.reasons(0).code(), v1::REASON_CODE_CONTAINER_MISSING);
}

TEST_F(FoundationTest, EventsShowOnSubscriptionInOrder) {
  Book("A1", "粤B12345", {"CSQU3054383"});
  const v1::Visit open = Arrive("L1", "粤B12345", {"CSQU3054383"});
  const v1::Visit trouble = Arrive("L1", "粤B12345", {"CSQU3054384"});
  const std::vector<v1::Event> all =
      ReadUntil(0, [](const std::vector<v1::Event>& e) { return CountDecisions(e) == 2; });
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].sequence(), i + 1);
  std::vector<v1::Event> events;
  std::copy_if(all.begin(), all.end(), std::back_inserter(events), IsFromRequest);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_TRUE(events[0].has_appointment_changed());
  EXPECT_EQ(events[1].visit_id(), open.visit_id());
  EXPECT_EQ(events[1].visit_decided().decision(), v1::DECISION_OPEN);
  EXPECT_EQ(events[2].visit_id(), trouble.visit_id());
  EXPECT_EQ(events[2].visit_decided().decision(), v1::DECISION_TROUBLE);
  EXPECT_EQ(events[2].visit_decided().reasons(0).subject(), "CSQU3054384");
}

TEST_F(FoundationTest, SubscriptionResumesAfterReconnectWithNothingLostOrRepeated) {
  Book("A1", "粤B12345", {"CSQU3054383"});
  // A live subscriber sees the first events, then goes away.
  std::vector<v1::Event> first;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline());
    v1::SubscribeRequest req;
    auto stub = Terminal();
    auto reader = stub->Subscribe(&ctx, req);
    Arrive("L1", "粤B12345", {"CSQU3054383"});
    v1::Event e;
    while (first.size() < 2 && reader->Read(&e)) first.push_back(e);
    ctx.TryCancel();
    reader->Finish();
  }
  ASSERT_EQ(first.size(), 2u);
  // While it is away, more happens.
  Arrive("L1", "粤B00001", {});
  Arrive("L1", "粤B00002", {});
  // It reconnects after the last sequence it saw and gets exactly the rest.
  const std::vector<v1::Event> all = ReadUntil(first.back().sequence(), [](const std::vector<v1::Event>& e) {
    return !e.empty() && e.back().visit_decided().plate() == "粤B00002";
  });
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].sequence(), first.back().sequence() + 1 + i);
  std::vector<v1::Event> rest;
  std::copy_if(all.begin(), all.end(), std::back_inserter(rest), IsDecision);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].visit_decided().plate(), "粤B00001");
  EXPECT_EQ(rest[1].visit_decided().plate(), "粤B00002");
}

TEST_F(FoundationTest, LiveSubscriberGetsEventsAsTheyCommit) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  v1::SubscribeRequest req;
  auto stub = Terminal();
  auto reader = stub->Subscribe(&ctx, req);
  std::thread writer([this] {
    for (int i = 0; i < 50; ++i) Arrive("L1", "粤B" + std::to_string(10000 + i), {});
  });
  std::vector<uint64_t> seqs;
  v1::Event e;
  while (seqs.size() < 50 && reader->Read(&e)) seqs.push_back(e.sequence());
  writer.join();
  ctx.TryCancel();
  reader->Finish();
  ASSERT_EQ(seqs.size(), 50u);
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], i + 1);
}

TEST_F(FoundationTest, RestartKeepsEveryVisitAndEvent) {
  Book("A1", "粤B12345", {"CSQU3054383"});
  const v1::Visit open = Arrive("L1", "粤B12345", {"CSQU3054383"});
  const v1::Visit trouble = Arrive("L1", "粤B12345", {"CSQU3054384"});
  // Let the barrier report its open, then stop: every event up to then must come back.
  const std::vector<v1::Event> before = ReadUntil(0, [](const std::vector<v1::Event>& e) {
    return std::any_of(e.begin(), e.end(), [](const v1::Event& x) { return x.has_barrier_changed(); }) &&
           CountDecisions(e) == 2;
  });
  const uint64_t last_before = server()->journal().events().last_sequence();

  StopServer();
  StartServer();

  const std::vector<v1::Event> after = ReadEvents(0, last_before);
  ASSERT_EQ(after.size(), last_before);
  ASSERT_LE(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(after[i].SerializeAsString(), before[i].SerializeAsString()) << i;
  }
  grpc::ClientContext ctx;
  v1::GetVisitRequest req;
  req.set_visit_id(trouble.visit_id());
  v1::Visit got;
  ASSERT_TRUE(Terminal()->GetVisit(&ctx, req, &got).ok());
  EXPECT_EQ(got.SerializeAsString(), trouble.SerializeAsString());
  // Numbering goes on where it stopped: no visit id or sequence is reused.
  const v1::Visit next = Arrive("L1", "粤B12345", {"CSQU3054383"});
  EXPECT_GT(next.visit_id(), trouble.visit_id());
  const std::vector<v1::Event> decided = ReadEvents(0, 3, IsDecision);
  ASSERT_EQ(decided.size(), 3u);
  EXPECT_EQ(decided[2].visit_id(), next.visit_id());
  EXPECT_GT(decided[2].sequence(), before.back().sequence());
}

TEST_F(FoundationTest, RetryWithSameKeyReturnsFirstResultAndChangesNothing) {
  Book("A1", "粤B12345", {"CSQU3054383"});
  const v1::Visit first = Arrive("L1", "粤B12345", {"CSQU3054383"}, "lane-L1-0001");
  const v1::Visit again = Arrive("L1", "粤B12345", {"CSQU3054383"}, "lane-L1-0001");
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  // Only the appointment and one decision were logged.
  grpc::ClientContext ctx;
  v1::ListVisitsRequest req;
  v1::ListVisitsResponse list;
  ASSERT_TRUE(Terminal()->ListVisits(&ctx, req, &list).ok());
  EXPECT_EQ(list.visits_size(), 1);
  // The same key survives a restart.
  StopServer();
  StartServer();
  EXPECT_EQ(Arrive("L1", "粤B12345", {"CSQU3054383"}, "lane-L1-0001").SerializeAsString(),
            first.SerializeAsString());
  // The same key on a different request is refused, not silently answered.
  v1::SubmitArrivalRequest other;
  other.set_idempotency_key("lane-L1-0001");
  other.set_lane_id("L1");
  other.mutable_read()->set_plate("粤B99999");
  grpc::ClientContext ctx2;
  v1::SubmitArrivalResponse resp;
  const grpc::Status s = Gate()->SubmitArrival(&ctx2, other, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("lane-L1-0001"), std::string::npos);
}

TEST_F(FoundationTest, ConcurrentRetriesOfOneKeyMakeOneVisit) {
  Book("A1", "粤B12345", {"CSQU3054383"});
  std::vector<std::thread> threads;
  std::vector<std::string> ids(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] { ids[i] = Arrive("L1", "粤B12345", {"CSQU3054383"}, "same").visit_id(); });
  }
  for (auto& t : threads) t.join();
  for (const std::string& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(ReadEvents(0, 2, IsFromRequest).size(), 2u);
  EXPECT_EQ(CountDecisions(ReadUntil(0, [](const std::vector<v1::Event>& e) { return e.size() >= 2; })), 1u);
}

TEST_F(FoundationTest, BadInputIsRefusedWithAClearMessageAndWritesNothing) {
  auto gate = Gate();
  auto expect = [&](const v1::SubmitArrivalRequest& req, grpc::StatusCode code, const std::string& needle) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline());
    v1::SubmitArrivalResponse resp;
    const grpc::Status s = gate->SubmitArrival(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), code) << s.error_message();
    EXPECT_NE(s.error_message().find(needle), std::string::npos) << s.error_message();
  };
  v1::SubmitArrivalRequest req;
  req.set_idempotency_key(NextKey());
  req.mutable_read()->set_plate("粤B12345");
  expect(req, grpc::StatusCode::INVALID_ARGUMENT, "lane_id");
  req.set_lane_id("L9");
  expect(req, grpc::StatusCode::PERMISSION_DENIED, "L9");  // not a lane this kiosk may act for
  req.set_lane_id("L1");
  req.mutable_read()->add_container_numbers("HELLO");
  expect(req, grpc::StatusCode::INVALID_ARGUMENT, "HELLO");
  v1::SubmitArrivalRequest empty;
  empty.set_idempotency_key(NextKey());
  empty.set_lane_id("L1");
  expect(empty, grpc::StatusCode::INVALID_ARGUMENT, "needs camera frames or a lane read");

  v1::UpsertAppointmentRequest ap;
  ap.set_idempotency_key(NextKey());
  ap.mutable_appointment()->set_appointment_id("A1");
  ap.mutable_appointment()->set_plate("粤B12345");
  ap.mutable_appointment()->set_direction(v1::DIRECTION_IN);
  ap.mutable_appointment()->add_containers()->set_container_number("MSCU1234567");
  grpc::ClientContext ctx;
  v1::Appointment out;
  const grpc::Status s = Terminal()->UpsertAppointment(&ctx, ap, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("MSCU1234567"), std::string::npos) << s.error_message();
  EXPECT_NE(s.error_message().find("expected 6"), std::string::npos) << s.error_message();

  grpc::ClientContext ctx2;
  v1::GetVisitRequest get;
  get.set_visit_id("V404");
  v1::Visit visit;
  EXPECT_EQ(Terminal()->GetVisit(&ctx2, get, &visit).error_code(), grpc::StatusCode::NOT_FOUND);

  // None of it left a trace.
  Arrive("L1", "粤B12345", {});
  const std::vector<v1::Event> events = ReadEvents(0, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].sequence(), 1u);
  EXPECT_TRUE(events[0].has_visit_decided());
}

TEST_F(FoundationTest, OversizeMessageIsRefused) {
  StopServer();
  config().max_message_bytes = 64 << 10;
  StartServer();
  v1::SubmitArrivalRequest req;
  req.set_idempotency_key(NextKey());
  req.set_lane_id("L1");
  req.add_frames()->set_jpeg(std::string(128 << 10, 'x'));
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  v1::SubmitArrivalResponse resp;
  const grpc::Status s = Gate()->SubmitArrival(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
}

TEST_F(FoundationTest, ShutdownWithOpenStreamsIsQuick) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(30));
  v1::SubscribeRequest req;
  auto stub = Terminal();
  auto reader = stub->Subscribe(&ctx, req);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto start = std::chrono::steady_clock::now();
  StopServer();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  v1::Event e;
  EXPECT_FALSE(reader->Read(&e));
  EXPECT_FALSE(reader->Finish().ok());
}

TEST_F(FoundationTest, PassageReturnsTheEmptyAtOnce) {
  Book("A1", "粤B12345", {"TGHU1643396"}, v1::DIRECTION_IN, v1::TRANSACTION_TYPE_RECEIVE_EMPTY);
  const v1::Visit v = Arrive("L1", "粤B12345", {"TGHU1643396"});
  ASSERT_EQ(v.decision(), v1::DECISION_OPEN);
  v1::ReportPassageRequest req;
  req.set_idempotency_key(NextKey());
  req.set_visit_id(v.visit_id());
  grpc::ClientContext ctx;
  v1::ReportPassageResponse resp;
  ASSERT_TRUE(Gate()->ReportPassage(&ctx, req, &resp).ok());
  EXPECT_TRUE(resp.visit().passed());
  const std::vector<v1::Event> events = ReadEvents(2, 3, IsFromRequest);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_TRUE(events[0].has_truck_passed());
  EXPECT_EQ(events[1].appointment_changed().change(), v1::APPOINTMENT_CHANGE_USED);
  EXPECT_EQ(events[2].container_returned().container_number(), "TGHU1643396");
  // A used appointment does not open the gate a second time.
  EXPECT_EQ(Arrive("L1", "粤B12345", {"TGHU1643396"}).decision(), v1::DECISION_TROUBLE);
}

TEST_F(FoundationTest, OldVisitsLeaveMemoryButNotTheStore) {
  // A site that records replayed captures instead of refusing them (rule 7 allows either).
  StopServer();
  config().max_capture_skew_s = 7 * 24 * 3600;
  StartServer();
  Book("A1", "粤B12345", {"CSQU3054383"});
  // Captured four days ago (a lane that was offline and replays), beyond the 72 h window.
  v1::SubmitArrivalRequest old;
  old.set_idempotency_key(NextKey());
  old.set_lane_id("L1");
  old.mutable_read()->set_plate("粤B12345");
  old.mutable_read()->add_container_numbers("CSQU3054383");
  *old.mutable_captured_at() = google::protobuf::util::TimeUtil::GetCurrentTime() -
                               google::protobuf::util::TimeUtil::HoursToDuration(96);
  grpc::ClientContext ctx;
  v1::SubmitArrivalResponse first;
  ASSERT_TRUE(Gate()->SubmitArrival(&ctx, old, &first).ok());
  const v1::Visit trouble = Arrive("L1", "粤B99999", {});  // prunes the old one from memory
  StopServer();
  StartServer();  // loads only the recent visits and open trouble
  grpc::ClientContext get_ctx;
  v1::GetVisitRequest get;
  get.set_visit_id(first.visit().visit_id());
  v1::Visit got;
  ASSERT_TRUE(Terminal()->GetVisit(&get_ctx, get, &got).ok());
  EXPECT_EQ(got.SerializeAsString(), first.visit().SerializeAsString());
  grpc::ClientContext list_ctx;
  v1::ListVisitsRequest list;
  list.set_page_size(1);
  v1::ListVisitsResponse page;
  ASSERT_TRUE(Terminal()->ListVisits(&list_ctx, list, &page).ok());
  ASSERT_EQ(page.visits_size(), 1);
  EXPECT_EQ(page.visits(0).visit_id(), first.visit().visit_id());
  EXPECT_EQ(page.next_page_token(), first.visit().visit_id());
  list.set_page_token(page.next_page_token());
  grpc::ClientContext list_ctx2;
  ASSERT_TRUE(Terminal()->ListVisits(&list_ctx2, list, &page).ok());
  ASSERT_EQ(page.visits_size(), 1);
  EXPECT_EQ(page.visits(0).visit_id(), trouble.visit_id());
  EXPECT_TRUE(page.next_page_token().empty());
}

TEST_F(FoundationTest, DecisionRulesReloadWithoutARestart) {
  StopServer();
  const std::string path = config().data_dir + "/yardgate.conf";
  auto write = [&](const std::string& blacklist) {
    // The principals' token lines go along: a reload rereads [auth] too.
    std::string auth = "[auth]\n";
    for (const auth::TokenEntry& t : config().auth.tokens) auth += "token = " + auth::FormatTokenEntry(t) + "\n";
    std::ofstream(path) << "[decision]\nblacklisted_plates = " << blacklist
                        << "\n[lane L1]\ndirection = in\n[lane L2]\ndirection = out\n" << auth;
  };
  write("");
  absl::StatusOr<server::Config> loaded = server::LoadConfig(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  loaded->data_dir = config().data_dir;
  loaded->grpc_listen = "127.0.0.1:0";
  config() = *loaded;
  StartServer();
  Book("A1", "粤B12345", {"CSQU3054383"});
  EXPECT_EQ(Arrive("L1", "粤B12345", {"CSQU3054383"}).decision(), v1::DECISION_OPEN);

  write("粤B12345");
  ASSERT_TRUE(server()->Reload().ok());
  const v1::Visit denied = Arrive("L1", "粤B12345", {"CSQU3054383"});
  EXPECT_EQ(denied.decision(), v1::DECISION_DENY);
  EXPECT_EQ(denied.reasons(0).code(), v1::REASON_CODE_BLACKLISTED);

  // A broken file is refused and the rules in force stay.
  std::ofstream(path) << "[decision]\nauto_threshold = lots\n";  // and no [auth]: the tokens in force stay too
  const absl::Status bad = server()->Reload();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("line 2"), std::string::npos) << bad;
  EXPECT_EQ(Arrive("L1", "粤B12345", {"CSQU3054383"}).decision(), v1::DECISION_DENY);
}

}  // namespace
}  // namespace yardgate::testing
