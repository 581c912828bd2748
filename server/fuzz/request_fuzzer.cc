// Fuzz target: every request of the three services as a caller can send it, to a real server
// over loopback gRPC (in-memory store, so the gate's state grows from input to input).
//
// An input is "<method name>\n<flags><request bytes>". A first line naming a method (by its
// short name, "SubmitArrival") calls it; any other line picks a method by its hash, so a
// mutated name still calls something. The flags choose who calls: one of the roles the policy
// allows (bits 0-2), nobody at all (bit 3), and whether the request's actor field is set to that
// caller's id (bit 4) and its lane field to a lane of the lane principal (bit 5), so inputs get
// past the authorizer and into the gate. The request bytes go on the wire as they are, unless
// a fix-up re-serialises them.
//
// Every answer must be one a client can act on: never UNKNOWN, INTERNAL, UNIMPLEMENTED,
// UNAVAILABLE or DATA_LOSS, never a unary call left hanging, and an error message of at most
// kMaxMessageBytes of valid UTF-8 (ids are quoted as short prefixes, never echoed whole).
//
// The seeds are one valid request per method (make_request_seeds.py). REQUEST_FUZZER_VERBOSE=1
// prints each call's answer and time.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/stubs/logging.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "gate/memory_store.h"
#include "server/auth/policy.h"
#include "server/auth/testing.h"
#include "server/auth/transport.h"
#include "server/server.h"
#include "tests/temp_dir.h"
#include "tests/test_principals.h"

namespace yardgate::server {
namespace {

constexpr size_t kMaxMessageBytes = 1024;

struct Target {
  std::unique_ptr<testing::TempDir> dir;
  std::unique_ptr<YardgateServer> server;
  std::map<std::string, std::string> tokens;  // role name -> token
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::GenericStub> stub;
  std::vector<const google::protobuf::MethodDescriptor*> methods;
};

Target& TheServer() {
  static Target* target = [] {
    // A malformed request makes protobuf log a line as well as the server answering it.
    google::protobuf::SetLogHandler(nullptr);
    auto* t = new Target;
    t->dir = std::make_unique<testing::TempDir>();
    Config config = DefaultConfig();
    config.data_dir = t->dir->path();
    config.grpc_listen = "127.0.0.1:0";
    config.jt808_listen = "127.0.0.1:0";
    config.seals.lock_family_passwords = {{"test-locks", "test-unlock-password"}};
    t->tokens = testing::MintTestTokens(&config);
    absl::StatusOr<std::unique_ptr<YardgateServer>> server =
        YardgateServer::Start(config, std::make_unique<gate::MemoryStore>(std::make_shared<gate::MemoryDisk>()));
    if (!server.ok()) {
      std::fprintf(stderr, "request_fuzzer: the server did not start: %s\n", server.status().ToString().c_str());
      std::abort();
    }
    t->server = *std::move(server);
    t->channel = grpc::CreateChannel(t->server->grpc_address(), grpc::InsecureChannelCredentials());
    t->stub = std::make_unique<grpc::GenericStub>(t->channel);
    t->methods = auth::YardgateServiceMethods();
    return t;
  }();
  return *target;
}

void Fail(const std::string& method, const grpc::Status& status, const char* why) {
  std::fprintf(stderr, "request_fuzzer: %s answered %d (%s): %s\n", method.c_str(), status.error_code(),
               status.error_message().substr(0, 200).c_str(), why);
  std::abort();
}

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (length == 0 || i + length > s.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += length;
  }
  return true;
}

void CheckAnswer(const std::string& method, const grpc::Status& status, bool streaming) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNIMPLEMENTED:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DATA_LOSS:
      Fail(method, status, "not an answer a client can act on");
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
      // A subscription that was accepted runs until the client stops it.
      if (!streaming) Fail(method, status, "a unary call left hanging");
      break;
    default:
      break;
  }
  if (status.error_message().size() > kMaxMessageBytes) Fail(method, status, "an error message too long");
  if (!IsValidUtf8(status.error_message())) Fail(method, status, "an error message that is not UTF-8");
}

// Sets the string field `name` of `request` (if it has one) to `value`.
void SetStringField(google::protobuf::Message* request, absl::string_view name, const std::string& value) {
  const google::protobuf::FieldDescriptor* field = request->GetDescriptor()->FindFieldByName(std::string(name));
  if (field == nullptr || field->is_repeated() || field->type() != google::protobuf::FieldDescriptor::TYPE_STRING) {
    return;
  }
  request->GetReflection()->SetString(request, field, value);
}

// A server-streaming call: the request, then the first answer or the end, within 50 ms.
class OneRead : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  grpc::Status Run(grpc::GenericStub* stub, grpc::ClientContext* ctx, const std::string& method,
                   const grpc::ByteBuffer& request) {
    request_ = request;
    stub->PrepareBidiStreamingCall(ctx, method, grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [this] { return done_; });
    return status_;
  }
  void OnDone(const grpc::Status& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = status;
    done_ = true;
    done_cv_.notify_all();
  }

 private:
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  std::mutex mu_;
  std::condition_variable done_cv_;
  bool done_ = false;
  grpc::Status status_;
};

void CallOnce(const uint8_t* data, size_t size) {
  Target& t = TheServer();
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const absl::string_view name = input.substr(0, newline);
  absl::string_view rest = newline == absl::string_view::npos ? absl::string_view() : input.substr(newline + 1);
  const uint8_t flags = rest.empty() ? 0 : static_cast<uint8_t>(rest[0]);
  if (!rest.empty()) rest.remove_prefix(1);

  const google::protobuf::MethodDescriptor* method = nullptr;
  for (const google::protobuf::MethodDescriptor* m : t.methods) {
    if (m->name() == name) method = m;
  }
  if (method == nullptr) method = t.methods[absl::HashOf(name) % t.methods.size()];
  const std::string path = auth::MethodPath(*method);
  const auth::MethodPolicy* policy = auth::FindPolicy(path);

  // Who calls: one of the roles the policy allows, or nobody.
  const testing::TestPrincipal* caller = nullptr;
  if (policy != nullptr && (flags & 0x08) == 0) {
    std::vector<const testing::TestPrincipal*> allowed;
    for (const testing::TestPrincipal& p : testing::TestPrincipals()) {
      if (policy->roles.Has(*auth::ParseRole(p.role))) allowed.push_back(&p);
    }
    if (!allowed.empty()) caller = allowed[(flags & 0x07) % allowed.size()];
  }

  std::string bytes(rest);
  if ((flags & 0x30) != 0 && policy != nullptr) {
    std::unique_ptr<google::protobuf::Message> request(
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(method->input_type())->New());
    if (request->ParsePartialFromString(bytes)) {
      if ((flags & 0x10) != 0 && caller != nullptr && !policy->actor_field.empty()) {
        SetStringField(request.get(), policy->actor_field, caller->id);
      }
      if ((flags & 0x20) != 0 && policy->lane.kind == auth::LaneScope::Kind::kLaneField) {
        SetStringField(request.get(), policy->lane.field, (flags & 0x40) ? "L2" : "L1");
      }
      request->SerializePartialToString(&bytes);
    }
  }

  const absl::Time started = absl::Now();
  grpc::ClientContext ctx;
  if (caller != nullptr) ctx.AddMetadata(auth::kAuthorizationHeader, auth::BearerValue(t.tokens.at(caller->role)));
  grpc::Slice slice(bytes);
  const grpc::ByteBuffer request(&slice, 1);
  grpc::Status status;
  const bool streaming = method->server_streaming() || method->client_streaming();
  if (streaming) {
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(50));
    OneRead call;
    status = call.Run(t.stub.get(), &ctx, path, request);
  } else {
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::ByteBuffer response;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    t.stub->UnaryCall(&ctx, path, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
      std::lock_guard<std::mutex> lock(mu);
      status = std::move(s);
      done = true;
      cv.notify_all();
    });
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
  }
  if (std::getenv("REQUEST_FUZZER_VERBOSE")) std::fprintf(stderr, "%s -> %d %s %.1f ms\n", path.c_str(), status.error_code(), status.error_message().c_str(), absl::ToDoubleMilliseconds(absl::Now() - started));
  CheckAnswer(path, status, streaming);
}

}  // namespace
}  // namespace yardgate::server

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  yardgate::server::CallOnce(data, size);
  return 0;
}
