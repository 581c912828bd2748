// Test helpers for the auth layer: certificates made at run time, a stand-in server behind the
// real authorisation layer, and a raw call for any method path.
//
//   TestCertificates certs;                       // deploy/make-test-certs.sh into a temp dir
//   if (!certs.ok()) GTEST_SKIP() << certs.error();
//   auto server = StandInServer::Start(transport_config, "127.0.0.1:0", &authorizer);
//   grpc::Status s = CallMethod(channel, "/yardgate.v1.GateService/SubmitArrival", request, token);
//
// The stand-in answers every method of the services linked into the test (the yardgate.v1
// protos) the way a handler written to the rules would: it parses the request, calls
// Authorizer::Authorize, and on success records the principal and answers an empty response
// (or, for a stream, no messages) with OK. gRPC's own health and reflection services run beside
// it. Nothing here is for production.
//
// Thread-safety: StandInServer is safe to use from any thread; the rest are for one test thread.
#ifndef YARDGATE_SERVER_AUTH_TESTING_H_
#define YARDGATE_SERVER_AUTH_TESTING_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/auth/authorizer.h"
#include "server/auth/transport.h"

namespace yardgate::auth {

// The refusals an Authorizer reported, for tests to read back.
class AuditLog {
 public:
  AuditSink Sink() {
    return [this](const Refusal& r) {
      absl::MutexLock lock(&mu_);
      records_.push_back(r);
    };
  }
  std::vector<Refusal> records() const {
    absl::MutexLock lock(&mu_);
    return records_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<Refusal> records_ ABSL_GUARDED_BY(mu_);
};

// Every method of GateService, SealService and TerminalService, from the descriptor pool.
std::vector<const google::protobuf::MethodDescriptor*> YardgateServiceMethods();

// "/yardgate.v1.GateService/SubmitArrival" for that method's descriptor.
std::string MethodPath(const google::protobuf::MethodDescriptor& m);

// A test site's CA, server and client certificates (see deploy/make-test-certs.sh), made in a
// fresh temporary directory that is removed again. ok() is false when the script or openssl is
// missing; error() says why.
class TestCertificates {
 public:
  TestCertificates();
  ~TestCertificates();
  TestCertificates(const TestCertificates&) = delete;
  TestCertificates& operator=(const TestCertificates&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  // "<dir>/<name>", e.g. Path("lane-L1.crt").
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // TLS with the test site's server certificate and CA.
  TransportConfig ServerConfig() const;
  // A client trusting the test CA, presenting `client` ("lane-L1", "other-lane-L1") or nothing.
  ClientTlsFiles Client(const std::string& client = "") const;

 private:
  std::string dir_;
  std::string error_;
};

class StandInServer {
 public:
  static absl::StatusOr<std::unique_ptr<StandInServer>> Start(const TransportConfig& transport,
                                                              const std::string& listen, Authorizer* authorizer);
  ~StandInServer();

  // "127.0.0.1:PORT" (the port chosen), for clients.
  const std::string& address() const { return address_; }
  TransportMode mode() const { return mode_; }
  // Every call that got past Authorize: the method and the principal it acted for.
  struct Reached {
    std::string method;
    Principal principal;
  };
  std::vector<Reached> reached() const;
  void Record(Reached r);

 private:
  StandInServer() = default;
  class Service;

  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  TransportMode mode_ = TransportMode::kTls;
  mutable absl::Mutex mu_;
  std::vector<Reached> reached_ ABSL_GUARDED_BY(mu_);
};

// Calls `method` with the serialized `request`, as a unary or server-streaming call (the wire
// is the same), reading any responses until `timeout`, with a bearer token unless `token` is
// empty.
grpc::Status CallMethod(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                        const google::protobuf::Message& request, const std::string& token = "",
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace yardgate::auth

#endif  // YARDGATE_SERVER_AUTH_TESTING_H_
