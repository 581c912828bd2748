// Authorizer: applies the policy table (policy.h) to every gRPC call, in two steps.
//
// 1. Processor(), an AuthMetadataProcessor installed on the server credentials
//    (transport.h), runs for every call before any handler: it sees the method (":path") and
//    the metadata, identifies the caller (a bearer token from the CredentialStore, else the
//    verified client certificate's CN/SAN) and applies CheckCaller. A method with no policy,
//    a call without credentials, an unknown token or a role the table does not name is
//    refused here, so a handler that forgot its check still cannot be reached by the wrong
//    role, and gRPC's own health and reflection services are covered too.
// 2. Authorize(ctx, request), which every yardgate handler calls first, once the request is
//    parsed: it identifies the caller again, applies CheckCaller and the request rules
//    (CheckRequest: a lane principal's own lanes, the actor field) and returns the Principal
//    the handler acts for. The method is found from the request's type, so the call is the same
//    line in every handler:
//
//      absl::StatusOr<auth::Principal> caller = authorizer_->Authorize(*ctx, *request);
//      if (!caller.ok()) { reactor->Finish(ToGrpc(caller.status())); return reactor; }
//
// Why identify twice: in gRPC 1.51 the AuthContext the processor may write to belongs to the
// connection, not the call (a property added for one call is seen by every later call on that
// connection, whatever credentials they carry: checked in authorizer_test), so the processor
// cannot hand a per-call principal to the handler. The token therefore stays in the call's
// metadata (it is not "consumed"): handlers must never log ctx->client_metadata(). Identifying
// costs one SHA-256 and a map lookup.
//
// Every refusal, in either step, goes to the AuditSink with the method, the caller and the peer;
// never the token. The processor is not told the peer's address by gRPC 1.51, so its records
// name the transport identity instead ("tls CN=lane-L1", "tls without client certificate",
// "local"); Authorize's records have ctx.peer() ("ipv4:10.1.2.3:51514"). When a handler finishes
// with the status, the caller sees the same UNAUTHENTICATED or PERMISSION_DENIED message.
//
// In the insecure transport mode (no processor: transport.h) only step 2 runs.
//
// Thread-safety: safe to call from any thread. The AuditSink and LaneOfVisit are called from
// gRPC's threads, concurrently, and must not block (queue the record; answer from memory).
// REQUIRES: the Authorizer and the CredentialStore outlive the gRPC server.
#ifndef YARDGATE_SERVER_AUTH_AUTHORIZER_H_
#define YARDGATE_SERVER_AUTH_AUTHORIZER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <google/protobuf/message.h>
#include <grpcpp/security/auth_context.h>
#include <grpcpp/security/auth_metadata_processor.h>
#include <grpcpp/server_context.h>

#include "absl/status/statusor.h"
#include "server/auth/credentials.h"
#include "server/auth/policy.h"
#include "server/auth/principal.h"

namespace yardgate::auth {

// A refused call, for the audit trail.
struct Refusal {
  std::string method;  // "/yardgate.v1.TerminalService/SetCustomsStatus"; the request type when unknown
  std::string caller;  // Principal::ToString(), "nobody" (no credentials) or "unidentified" (bad ones)
  std::string peer;    // ctx.peer(), or the transport identity in the processor (see above)
  absl::Status status; // what the caller is told
};
using AuditSink = std::function<void(const Refusal&)>;

class Authorizer final {
 public:
  // `lane_of_visit` resolves the lane of visit-scoped methods (ReportPassage).
  Authorizer(CredentialStore* credentials, AuditSink audit, LaneOfVisit lane_of_visit);
  Authorizer(const Authorizer&) = delete;
  Authorizer& operator=(const Authorizer&) = delete;

  // Step 1, for BuildServerTransport. The processor runs inline on gRPC's threads.
  std::shared_ptr<grpc::AuthMetadataProcessor> Processor() const;

  // Step 2: the caller of this call, if the policy lets it make this request. UNAUTHENTICATED
  // or PERMISSION_DENIED (audited) with a message naming the method and the caller's role;
  // INTERNAL when the request type belongs to several methods, or to a method open to anyone
  // (such methods have no caller to return).
  absl::StatusOr<Principal> Authorize(const grpc::ServerContextBase& ctx,
                                      const google::protobuf::Message& request) const;

  // Who the credentials of a call name: nullopt when it carries none; UNAUTHENTICATED for a
  // malformed or unknown token, a device token over TLS (lanes and seal terminals use their
  // certificate there), or a certificate no cert line maps. Both steps use it.
  using Metadata = std::multimap<grpc::string_ref, grpc::string_ref>;
  static absl::StatusOr<std::optional<Principal>> Identify(const Credentials& credentials, const Metadata& metadata,
                                                           const grpc::AuthContext* auth_context);

 private:
  class MetadataProcessor;

  // Step 1's decision for one call.
  absl::Status CheckCall(const Metadata& metadata, const grpc::AuthContext* auth_context) const;
  absl::Status Refuse(std::string method, std::string caller, std::string peer, absl::Status status) const;

  CredentialStore* const credentials_;
  const AuditSink audit_;
  const LaneOfVisit lane_of_visit_;
};

}  // namespace yardgate::auth

#endif  // YARDGATE_SERVER_AUTH_AUTHORIZER_H_
