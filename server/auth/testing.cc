#include "server/auth/testing.h"

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include <google/protobuf/descriptor.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "server/auth/policy.h"
#include "yardgate/v1/gate_service.pb.h"
#include "yardgate/v1/seal_service.pb.h"
#include "yardgate/v1/terminal_service.pb.h"

namespace yardgate::auth {
namespace {

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace

std::vector<const google::protobuf::MethodDescriptor*> YardgateServiceMethods() {
  // The pool holds the files linked into the binary: naming one message of each links them.
  const google::protobuf::Descriptor* linked[] = {v1::SubmitArrivalRequest::descriptor(),
                                                  v1::ApplySealRequest::descriptor(),
                                                  v1::SetCustomsStatusRequest::descriptor()};
  (void)linked;
  std::vector<const google::protobuf::MethodDescriptor*> methods;
  for (const char* name : {"yardgate.v1.GateService", "yardgate.v1.SealService", "yardgate.v1.TerminalService"}) {
    const google::protobuf::ServiceDescriptor* s =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    if (s == nullptr) continue;  // callers count the methods
    for (int i = 0; i < s->method_count(); ++i) methods.push_back(s->method(i));
  }
  return methods;
}

std::string MethodPath(const google::protobuf::MethodDescriptor& m) {
  return absl::StrCat("/", m.service()->full_name(), "/", m.name());
}

TestCertificates::TestCertificates() {
  const char* source = std::getenv("YARDGATE_SOURCE_DIR");
  if (source == nullptr) {
    error_ = "YARDGATE_SOURCE_DIR is not set (ctest sets it)";
    return;
  }
  const std::string script = absl::StrCat(source, "/deploy/make-test-certs.sh");
  if (!std::filesystem::exists(script)) {
    error_ = absl::StrCat(script, " is missing");
    return;
  }
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
    error_ = "openssl is not installed";
    return;
  }
  std::string pattern = (std::filesystem::temp_directory_path() / "yardgate-certs-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    error_ = "cannot make a temporary directory";
    return;
  }
  dir_ = pattern;
  const std::string command = absl::StrCat("'", script, "' '", dir_, "' 2 2>/dev/null");
  if (std::system(command.c_str()) != 0) error_ = absl::StrCat(command, " failed");
}

TestCertificates::~TestCertificates() {
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

TransportConfig TestCertificates::ServerConfig() const {
  TransportConfig c;
  c.tls_cert_file = Path("server.crt");
  c.tls_key_file = Path("server.key");
  c.client_ca_file = Path("ca.crt");
  return c;
}

ClientTlsFiles TestCertificates::Client(const std::string& client) const {
  ClientTlsFiles f;
  f.ca_file = Path("ca.crt");
  if (!client.empty()) {
    f.cert_file = Path(client + ".crt");
    f.key_file = Path(client + ".key");
  }
  return f;
}

// Every method not registered otherwise: parse, Authorize, answer empty.
class StandInServer::Service final : public grpc::CallbackGenericService {
 public:
  Service(StandInServer* server, Authorizer* authorizer) : server_(server), authorizer_(authorizer) {}

  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    return new Reactor(ctx, server_, authorizer_);
  }

 private:
  class Reactor final : public grpc::ServerGenericBidiReactor {
   public:
    Reactor(grpc::GenericCallbackServerContext* ctx, StandInServer* server, Authorizer* authorizer)
        : ctx_(ctx), server_(server), authorizer_(authorizer) {
      StartRead(&request_);
    }

    void OnReadDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message"));
        return;
      }
      const google::protobuf::MethodDescriptor* method = FindMethodDescriptor(ctx_->method());
      if (method == nullptr) {
        Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, ctx_->method()));
        return;
      }
      std::unique_ptr<google::protobuf::Message> request(
          google::protobuf::MessageFactory::generated_factory()->GetPrototype(method->input_type())->New());
      if (!request->ParseFromString(ToString(request_))) {
        Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "unparsable request"));
        return;
      }
      absl::StatusOr<Principal> caller = authorizer_->Authorize(*ctx_, *request);
      if (!caller.ok()) {
        Finish(grpc::Status(static_cast<grpc::StatusCode>(caller.status().code()), std::string(caller.status().message())));
        return;
      }
      server_->Record({ctx_->method(), *std::move(caller)});
      if (method->server_streaming()) {
        Finish(grpc::Status::OK);
        return;
      }
      std::unique_ptr<google::protobuf::Message> response(
          google::protobuf::MessageFactory::generated_factory()->GetPrototype(method->output_type())->New());
      response_ = ToBuffer(response->SerializeAsString());
      StartWrite(&response_);
    }

    void OnWriteDone(bool /*ok*/) override { Finish(grpc::Status::OK); }
    void OnDone() override { delete this; }

   private:
    grpc::GenericCallbackServerContext* const ctx_;
    StandInServer* const server_;
    Authorizer* const authorizer_;
    grpc::ByteBuffer request_;
    grpc::ByteBuffer response_;
  };

  StandInServer* const server_;
  Authorizer* const authorizer_;
};

absl::StatusOr<std::unique_ptr<StandInServer>> StandInServer::Start(const TransportConfig& transport,
                                                                    const std::string& listen, Authorizer* authorizer) {
  absl::StatusOr<ServerTransport> t = BuildServerTransport(transport, listen, authorizer->Processor());
  if (!t.ok()) return t.status();
  std::unique_ptr<StandInServer> s(new StandInServer());
  s->mode_ = t->mode;
  s->service_ = std::make_unique<Service>(s.get(), authorizer);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, t->credentials, &port);
  builder.RegisterCallbackGenericService(s->service_.get());
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || port == 0) return absl::UnavailableError(absl::StrCat("cannot listen on ", listen));
  const std::string host = listen.substr(0, listen.rfind(':'));
  s->address_ = absl::StrCat(host, ":", port);
  return s;
}

StandInServer::~StandInServer() {
  if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

std::vector<StandInServer::Reached> StandInServer::reached() const {
  absl::MutexLock lock(&mu_);
  return reached_;
}

void StandInServer::Record(Reached r) {
  absl::MutexLock lock(&mu_);
  reached_.push_back(std::move(r));
}

grpc::Status CallMethod(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                        const google::protobuf::Message& request, const std::string& token,
                        std::chrono::milliseconds timeout) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  if (!token.empty()) ctx.AddMetadata(kAuthorizationHeader, BearerValue(token));
  grpc::CompletionQueue cq;
  // One operation at a time, each waited for: the order of a unary or server-streaming call.
  auto wait = [&cq] {
    void* tag = nullptr;
    bool ok = false;
    return cq.Next(&tag, &ok) && ok;
  };
  void* const tag = reinterpret_cast<void*>(1);
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call = stub.PrepareCall(&ctx, method, &cq);
  call->StartCall(tag);
  if (wait()) {
    call->Write(ToBuffer(request.SerializeAsString()), tag);
    if (wait()) {
      call->WritesDone(tag);
      if (wait()) {
        grpc::ByteBuffer response;
        for (call->Read(&response, tag); wait(); call->Read(&response, tag)) {
        }
      }
    }
  }
  grpc::Status status;
  call->Finish(&status, tag);
  wait();
  cq.Shutdown();
  void* ignored_tag = nullptr;
  bool ignored_ok = false;
  while (cq.Next(&ignored_tag, &ignored_ok)) {
  }
  return status;
}

}  // namespace yardgate::auth
