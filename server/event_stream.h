// A server stream of events read from the EventLog by sequence number: first what is already
// committed after the client's cursor, then each new event as it commits.
//
// One write is in flight at a time; the stream never holds more than one batch in memory, so
// a slow client only slows itself. It finishes when the client cancels or the log shuts down.
//
// Thread-safety: created by a gRPC handler; everything after runs on gRPC's threads and the
// worker pool, serialized by the stream's own mutex. Deletes itself in OnDone.
#ifndef YARDGATE_SERVER_EVENT_STREAM_H_
#define YARDGATE_SERVER_EVENT_STREAM_H_

#include <functional>

#include <grpcpp/grpcpp.h>

#include "server/event_log.h"
#include "server/worker_pool.h"

namespace yardgate::server {

// Starts a stream from `after` (exclusive). `filter` picks the events to send (all if empty).
grpc::ServerWriteReactor<v1::Event>* StartEventStream(
    EventLog* log, WorkerPool* workers, uint64_t after,
    std::function<bool(const v1::Event&)> filter);

// A stream that ends at once with `status` (a bad request).
grpc::ServerWriteReactor<v1::Event>* RefusedStream(const grpc::Status& status);

}  // namespace yardgate::server

#endif  // YARDGATE_SERVER_EVENT_STREAM_H_
