// Small helpers every service uses to put a v1 request through the journal: the call's identity
// (its idempotency key, method and request fingerprint) and typed answers from the journal's
// bytes.
#ifndef YARDGATE_SERVER_CALLS_H_
#define YARDGATE_SERVER_CALLS_H_

#include <functional>
#include <string>

#include <grpcpp/grpcpp.h>

#include "common/fingerprint.h"
#include "server/grpc_status.h"
#include "server/journal.h"

namespace yardgate::server {

// The fingerprint of a request with its idempotency key cleared, so that a retry with the same
// key can be told apart from a different request that reuses the key. (The same bytes as
// every build before: stored keys stay replayable across an upgrade.)
template <class Request>
Journal::Call CallFor(const std::string& method, const Request& request) {
  Request without_key = request;
  without_key.clear_idempotency_key();
  std::string bytes;
  without_key.SerializeToString(&bytes);
  return Journal::Call{request.idempotency_key(), method, common::FingerprintHex(bytes)};
}

// A journal reply that parses the answer's bytes as `Resp`.
template <class Resp>
Journal::Reply ReplyAs(std::function<void(absl::StatusOr<Resp>)> done) {
  return [done = std::move(done)](absl::StatusOr<std::string> bytes) {
    if (!bytes.ok()) return done(bytes.status());
    Resp response;
    if (!response.ParseFromString(*bytes)) return done(absl::InternalError("a stored answer does not parse"));
    done(std::move(response));
  };
}

// A journal reply that finishes a unary call with the answer parsed into `response`.
template <class Resp>
Journal::Reply FinishWith(grpc::ServerUnaryReactor* reactor, Resp* response) {
  return [reactor, response](absl::StatusOr<std::string> bytes) {
    if (bytes.ok() && !response->ParseFromString(*bytes)) bytes = absl::InternalError("an answer does not parse");
    reactor->Finish(ToGrpc(bytes.status()));
  };
}

// Finishes a unary call at once with `result`.
template <class Resp>
grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* ctx, absl::StatusOr<Resp> result, Resp* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (result.ok()) *response = *std::move(result);
  reactor->Finish(ToGrpc(result.status()));
  return reactor;
}

}  // namespace yardgate::server

#endif  // YARDGATE_SERVER_CALLS_H_
