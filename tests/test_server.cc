#include "tests/test_server.h"

#include <grpcpp/support/client_interceptor.h>

#include <fstream>
#include <tuple>

#include "server/auth/auth_config.h"
#include "server/auth/credentials.h"
#include "server/auth/client_tokens.h"
#include "server/auth/policy.h"
#include "server/auth/transport.h"

#include <thread>

namespace yardgate::testing {

std::chrono::system_clock::time_point Deadline(int seconds) {
  return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

ServerFixture::ServerFixture() {
  config_ = server::DefaultConfig();
  config_.data_dir = dir_.path();
  config_.grpc_listen = "127.0.0.1:0";
  config_.jt808_listen = "127.0.0.1:0";
  tokens_ = std::make_shared<std::map<std::string, std::string>>();
  config_.seals.lock_family_passwords = {{"test-locks", "test-unlock-password"}};
}

ServerFixture::~ServerFixture() { StopServer(); }

void ServerFixture::As(grpc::ClientContext* ctx, const std::string& role) const {
  ctx->AddMetadata("authorization", auth::BearerValue(tokens_->at(role)));
}

std::string ServerFixture::AddPrincipal(auth::Role role, const std::string& id, const std::vector<std::string>& lanes) {
  absl::StatusOr<auth::MintedToken> minted = auth::MintToken(role, id, lanes);
  EXPECT_TRUE(minted.ok()) << minted.status();
  if (!minted.ok()) return "";
  extra_token_lines_.push_back(minted->config_line.substr(minted->config_line.find('=') + 2));
  return minted->token;
}

void ServerFixture::StartServer(std::unique_ptr<gate::Store> store) {
  *tokens_ = MintTestTokens(&config_);
  for (const std::string& line : extra_token_lines_) EXPECT_TRUE(auth::SetAuthKey(config_.auth, "token", line).ok());
  absl::StatusOr<std::unique_ptr<server::YardgateServer>> s = server::YardgateServer::Start(config_, std::move(store));
  ASSERT_TRUE(s.ok()) << s.status();
  server_ = *std::move(s);
}

void ServerFixture::StopServer() {
  if (server_) server_->Shutdown();
  server_.reset();
}

std::string ServerFixture::NextKey() { return "test-key-" + std::to_string(++next_key_); }

std::shared_ptr<grpc::Channel> ServerFixture::Channel() {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 << 20);
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(auth::PolicyTokenInterceptor(tokens_));
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      server_->grpc_address(), grpc::InsecureChannelCredentials(), args, std::move(interceptors));
}

std::shared_ptr<grpc::Channel> ServerFixture::AnonymousChannel() {
  return grpc::CreateChannel(server_->grpc_address(), grpc::InsecureChannelCredentials());
}

std::unique_ptr<v1::GateService::Stub> ServerFixture::Gate() { return v1::GateService::NewStub(Channel()); }
std::unique_ptr<v1::TerminalService::Stub> ServerFixture::Terminal() {
  return v1::TerminalService::NewStub(Channel());
}
std::unique_ptr<v1::SealService::Stub> ServerFixture::Seal() { return v1::SealService::NewStub(Channel()); }

v1::Appointment ServerFixture::Book(const std::string& id, const std::string& plate,
                                    const std::vector<std::string>& containers, v1::Direction direction,
                                    v1::TransactionType type) {
  v1::UpsertAppointmentRequest req;
  req.set_idempotency_key(NextKey());
  v1::Appointment* a = req.mutable_appointment();
  a->set_appointment_id(id);
  a->set_plate(plate);
  a->set_direction(direction);
  for (const std::string& c : containers) {
    v1::ContainerMove* m = a->add_containers();
    m->set_container_number(c);
    m->set_transaction_type(type);
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  v1::Appointment resp;
  const grpc::Status s = Terminal()->UpsertAppointment(&ctx, req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp;
}

v1::Visit ServerFixture::Arrive(const std::string& lane, const std::string& plate,
                                const std::vector<std::string>& containers, const std::string& key) {
  v1::SubmitArrivalRequest req;
  req.set_idempotency_key(key.empty() ? NextKey() : key);
  req.set_lane_id(lane);
  req.mutable_read()->set_plate(plate);
  for (const std::string& c : containers) req.mutable_read()->add_container_numbers(c);
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  v1::SubmitArrivalResponse resp;
  const grpc::Status s = Gate()->SubmitArrival(&ctx, req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.visit();
}

void ServerFixture::BookUnderSeal(const std::string& seal_id) {
  v1::UpsertAppointmentRequest req;
  req.set_idempotency_key(NextKey());
  v1::Appointment* a = req.mutable_appointment();
  a->set_appointment_id("A1");
  a->set_plate("粤B12345");
  a->set_direction(v1::DIRECTION_IN);
  v1::ContainerMove* m = a->add_containers();
  m->set_container_number("CSQU3054383");
  m->set_transaction_type(v1::TRANSACTION_TYPE_RECEIVE_IMPORT);
  m->set_seal_id(seal_id);
  m->set_customs_release_required(true);
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  v1::Appointment out;
  const grpc::Status s = Terminal()->UpsertAppointment(&ctx, req, &out);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

v1::Seal ServerFixture::GetSeal(const std::string& seal_id) {
  v1::GetSealRequest req;
  req.set_seal_id(seal_id);
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  v1::Seal out;
  const grpc::Status s = Seal()->GetSeal(&ctx, req, &out);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return out;
}

void ServerFixture::SetCustoms(const std::string& container, v1::CustomsStatus status) {
  v1::SetCustomsStatusRequest req;
  req.set_idempotency_key(NextKey());
  req.set_container_number(container);
  req.set_status(status);
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  v1::SetCustomsStatusResponse resp;
  const grpc::Status s = Terminal()->SetCustomsStatus(&ctx, req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

std::vector<v1::Event> ServerFixture::ReadEvents(uint64_t after, size_t count,
                                                const std::function<bool(const v1::Event&)>& keep) {
  std::vector<v1::Event> kept;
  ReadUntil(after, [&](const std::vector<v1::Event>& read) {
    if (!read.empty() && (!keep || keep(read.back()))) kept.push_back(read.back());
    return kept.size() >= count;
  });
  return kept;
}

std::vector<v1::Event> ServerFixture::ReadUntil(
    uint64_t after, const std::function<bool(const std::vector<v1::Event>&)>& done) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  v1::SubscribeRequest req;
  req.set_after_sequence(after);
  auto stub = Terminal();
  auto reader = stub->Subscribe(&ctx, req);
  std::vector<v1::Event> events;
  v1::Event e;
  while (!done(events) && reader->Read(&e)) events.push_back(e);
  ctx.TryCancel();
  reader->Finish();
  return events;
}

bool Eventually(const std::function<bool()>& condition, int ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

}  // namespace yardgate::testing
