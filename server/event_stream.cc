#include "server/event_stream.h"

#include <deque>
#include <memory>
#include <mutex>

#include "server/grpc_status.h"

namespace yardgate::server {
namespace {

constexpr size_t kBatch = 256;

class EventStream;

// What outlives the reactor: tasks queued on the pool and waiters in the log hold this, and
// find `stream` null once gRPC is done with it.
struct StreamState {
  // Recursive because gRPC may run a reaction inline from StartWrite or Finish, which are
  // called with it held.
  std::recursive_mutex mu;
  EventStream* stream = nullptr;  // guarded by mu
};

class EventStream final : public grpc::ServerWriteReactor<v1::Event> {
 public:
  EventStream(EventLog* log, WorkerPool* workers, uint64_t after,
              std::function<bool(const v1::Event&)> filter)
      : log_(log), workers_(workers), filter_(std::move(filter)), cursor_(after),
        state_(std::make_shared<StreamState>()) {
    state_->stream = this;
    Pump(state_);
  }

  void OnWriteDone(bool ok) override {
    std::unique_lock<std::recursive_mutex> lock(state_->mu);
    write_in_flight_ = false;
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the stream broke"));
      return;
    }
    pending_.pop_front();
    if (!pending_.empty()) {
      StartNextLocked();
      return;
    }
    std::shared_ptr<StreamState> state = state_;
    lock.unlock();
    Pump(std::move(state));
  }

  void OnCancel() override {
    std::lock_guard<std::recursive_mutex> lock(state_->mu);
    // Finishing here is what lets Server::Shutdown return (see cpp-notes).
    FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    {
      std::lock_guard<std::recursive_mutex> lock(state_->mu);
      state_->stream = nullptr;
      if (waiter_ != 0) log_->CancelNotify(waiter_);
    }
    delete this;
  }

 private:
  // Reads the next batch on a worker (it may touch the store), then writes or waits.
  static void Pump(std::shared_ptr<StreamState> state) {
    EventStream* self;
    {
      std::lock_guard<std::recursive_mutex> lock(state->mu);
      self = state->stream;
      if (self == nullptr || self->finished_) return;
      self->waiter_ = 0;
    }
    self->workers_->Run([state] {
      std::unique_lock<std::recursive_mutex> lock(state->mu);
      EventStream* s = state->stream;
      if (s == nullptr || s->finished_) return;
      const uint64_t after = s->cursor_;
      EventLog* const log = s->log_;  // `s` may be deleted while the lock is released
      lock.unlock();
      // Only one Pump runs at a time and only it moves the cursor, so the read needs no lock;
      // it may touch the store.
      std::vector<SharedEvent> batch;
      const absl::Status read = log->Read(after, kBatch, &batch);
      lock.lock();
      s = state->stream;
      if (s == nullptr || s->finished_) return;
      if (!read.ok()) {
        s->FinishLocked(ToGrpc(read));
        return;
      }
      if (batch.empty()) {
        if (log->is_shut_down()) {
          s->FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is shutting down"));
          return;
        }
        lock.unlock();
        const uint64_t id = log->NotifyAfter(after, [state] { Pump(state); });
        lock.lock();
        if (state->stream != nullptr && id != 0) state->stream->waiter_ = id;
        return;
      }
      s->cursor_ = batch.back()->sequence();
      for (SharedEvent& e : batch) {
        if (!s->filter_ || s->filter_(*e)) s->pending_.push_back(std::move(e));
      }
      if (s->pending_.empty()) {
        lock.unlock();
        Pump(state);
        return;
      }
      s->StartNextLocked();
    });
  }

  // REQUIRES: state_->mu held, pending_ not empty, no write in flight.
  void StartNextLocked() {
    if (finished_) return;
    write_in_flight_ = true;
    StartWrite(pending_.front().get());
  }

  // REQUIRES: state_->mu held.
  void FinishLocked(const grpc::Status& status) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  EventLog* const log_;
  WorkerPool* const workers_;
  const std::function<bool(const v1::Event&)> filter_;
  uint64_t cursor_;
  std::shared_ptr<StreamState> state_;
  std::deque<SharedEvent> pending_;  // guarded by state_->mu; front() is being written
  bool write_in_flight_ = false;   // guarded by state_->mu
  bool finished_ = false;          // guarded by state_->mu
  uint64_t waiter_ = 0;            // guarded by state_->mu
};

class Refused final : public grpc::ServerWriteReactor<v1::Event> {
 public:
  explicit Refused(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<v1::Event>* RefusedStream(const grpc::Status& status) { return new Refused(status); }

grpc::ServerWriteReactor<v1::Event>* StartEventStream(EventLog* log, WorkerPool* workers, uint64_t after,
                                                      std::function<bool(const v1::Event&)> filter) {
  return new EventStream(log, workers, after, std::move(filter));
}

}  // namespace yardgate::server
