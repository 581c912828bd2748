#include "gate/memory_store.h"

#include <algorithm>
#include <future>

#include "absl/strings/str_cat.h"

namespace yardgate::gate {

void MemoryDisk::FailNthCommit(int n, absl::Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_in_ = n;
  fail_nth_status_ = std::move(status);
}

void MemoryDisk::FailAllCommits(absl::Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_all_ = std::move(status);
}

void MemoryDisk::ClearFaults() {
  std::lock_guard<std::mutex> lock(mu_);
  fail_in_ = 0;
  fail_all_ = absl::OkStatus();
}

int MemoryDisk::commits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return commits_;
}

absl::Status MemoryDisk::NextFaultLocked() {
  if (!fail_all_.ok()) return fail_all_;
  if (fail_in_ > 0 && --fail_in_ == 0) return fail_nth_status_;
  return absl::OkStatus();
}

MemoryStore::MemoryStore(std::shared_ptr<MemoryDisk> disk) : disk_(std::move(disk)) {
  writer_ = std::thread([this] { WriterLoop(); });
}

MemoryStore::~MemoryStore() { Close(); }

void MemoryStore::Commit(WriteBatch batch, std::function<void(absl::Status)> done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!closing_) {
      queue_.push_back(Job{std::move(batch), std::move(done), false});
      cv_.notify_one();
      return;
    }
  }
  if (done) done(absl::UnavailableError("the store is closed"));
}

void MemoryStore::WriterLoop() {
  for (;;) {
    Job job;
    absl::Status poisoned;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      poisoned = poisoned_;
    }
    absl::Status status;
    if (job.probe) {
      std::lock_guard<std::mutex> disk_lock(disk_->mu_);
      status = disk_->fail_all_;
    } else {
      status = poisoned.ok() ? Write(job.batch) : poisoned;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (job.probe && status.ok()) {
        poisoned_ = absl::OkStatus();
      } else if (!job.probe && !status.ok() && poisoned_.ok()) {
        poisoned_ = absl::Status(status.code(), absl::StrCat("an earlier commit failed: ", status.message()));
      }
    }
    if (job.done) job.done(status);
  }
}

absl::Status MemoryStore::Write(const WriteBatch& batch) {
  std::lock_guard<std::mutex> lock(disk_->mu_);
  if (absl::Status fault = disk_->NextFaultLocked(); !fault.ok()) return fault;
  for (const Event& e : batch.events) {
    if (disk_->events_.count(e.sequence)) {
      return absl::AlreadyExistsError(absl::StrCat("event ", e.sequence, " is already stored"));
    }
  }
  for (const Visit& v : batch.visits) disk_->visits_[v.id] = v;
  for (const EvidenceFrame& f : batch.frames) disk_->frames_[f.visit_id].push_back(f);
  for (const Appointment& a : batch.appointments) disk_->appointments_[a.id] = a;
  for (const CustomsRecord& c : batch.customs) disk_->customs_[c.container_number] = c;
  for (AuditRecord a : batch.audit) {
    a.id = static_cast<int64_t>(disk_->audit_.size()) + 1;
    disk_->audit_.push_back(std::move(a));
  }
  for (const Event& e : batch.events) disk_->events_[e.sequence] = e;
  for (const IdempotencyRecord& r : batch.idempotency) disk_->idempotency_[r.key] = r;
  for (const BlobRecord& b : batch.blobs) {
    if (b.erase) {
      disk_->blobs_.erase({b.kind, b.key});
    } else {
      disk_->blobs_[{b.kind, b.key}] = b;
    }
  }
  for (const PositionRecord& p : batch.positions) disk_->positions_.push_back(p);
  ++disk_->commits_;
  return absl::OkStatus();
}

absl::Status MemoryStore::Recover() {
  std::promise<absl::Status> promise;
  std::future<absl::Status> result = promise.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return absl::UnavailableError("the store is closed");
    queue_.push_back(Job{{}, [&promise](absl::Status s) { promise.set_value(std::move(s)); }, true});
    cv_.notify_one();
  }
  return result.get();
}

absl::StatusOr<StoredState> MemoryStore::Load(absl::Time keep_since) {
  std::lock_guard<std::mutex> lock(disk_->mu_);
  StoredState state;
  for (const auto& [id, a] : disk_->appointments_) state.appointments.push_back(a);
  for (const auto& [n, c] : disk_->customs_) state.customs.push_back(c);
  for (const auto& [id, v] : disk_->visits_) {
    const bool open_trouble = v.decision == Verdict::kTrouble && !v.passed;
    if ((!v.completed && v.arrived_at >= keep_since) || open_trouble) state.visits.push_back(v);
  }
  for (const auto& [key, r] : disk_->idempotency_) {
    if (r.created_at >= keep_since) state.idempotency.push_back(r);
  }
  std::sort(state.idempotency.begin(), state.idempotency.end(),
            [](const IdempotencyRecord& a, const IdempotencyRecord& b) { return a.created_at < b.created_at; });
  for (const auto& [key, b] : disk_->blobs_) state.blobs.push_back(b);
  if (!disk_->events_.empty()) {
    state.last_sequence = disk_->events_.rbegin()->first;
    state.last_logged_at = disk_->events_.rbegin()->second.logged_at;
  }
  if (!disk_->visits_.empty()) state.last_visit_id = disk_->visits_.rbegin()->first;
  return state;
}

absl::Status MemoryStore::ReadEvents(uint64_t after, size_t max, std::vector<Event>* out) {
  std::lock_guard<std::mutex> lock(disk_->mu_);
  for (auto it = disk_->events_.upper_bound(after); it != disk_->events_.end() && max > 0; ++it, --max) {
    out->push_back(it->second);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Visit>> MemoryStore::GetVisit(const std::string& visit_id) {
  std::lock_guard<std::mutex> lock(disk_->mu_);
  const auto it = disk_->visits_.find(visit_id);
  if (it == disk_->visits_.end()) return std::optional<Visit>();
  return std::optional<Visit>(it->second);
}

absl::StatusOr<std::vector<Visit>> MemoryStore::ListVisits(const VisitQuery& query) {
  std::lock_guard<std::mutex> lock(disk_->mu_);
  std::vector<Visit> out;
  for (auto it = disk_->visits_.upper_bound(query.after_id);
       it != disk_->visits_.end() && static_cast<int>(out.size()) < query.limit; ++it) {
    if (query.lane_id.empty() || it->second.lane_id == query.lane_id) out.push_back(it->second);
  }
  return out;
}

absl::StatusOr<std::vector<EvidenceFrame>> MemoryStore::GetFrames(const std::string& visit_id) {
  std::lock_guard<std::mutex> lock(disk_->mu_);
  const auto it = disk_->frames_.find(visit_id);
  if (it == disk_->frames_.end()) return std::vector<EvidenceFrame>();
  return it->second;
}

absl::StatusOr<std::vector<AuditRecord>> MemoryStore::ListAudit(const AuditQuery& query) {
  std::lock_guard<std::mutex> lock(disk_->mu_);
  std::vector<AuditRecord> out;
  for (const AuditRecord& a : disk_->audit_) {
    if (static_cast<int>(out.size()) >= query.limit) break;
    if (a.id <= query.after_id) continue;
    if (!query.subject.empty() && a.subject != query.subject) continue;
    if (!query.actor.empty() && a.actor != query.actor) continue;
    out.push_back(a);
  }
  return out;
}

absl::StatusOr<std::optional<IdempotencyRecord>> MemoryStore::GetIdempotency(const std::string& key) {
  std::lock_guard<std::mutex> lock(disk_->mu_);
  const auto it = disk_->idempotency_.find(key);
  if (it == disk_->idempotency_.end()) return std::optional<IdempotencyRecord>();
  return std::optional<IdempotencyRecord>(it->second);
}

absl::StatusOr<std::vector<PositionRecord>> MemoryStore::ListPositions(const std::string& device_id, int limit) {
  std::lock_guard<std::mutex> lock(disk_->mu_);
  std::vector<PositionRecord> out;
  for (auto it = disk_->positions_.rbegin(); it != disk_->positions_.rend() && static_cast<int>(out.size()) < limit;
       ++it) {
    if (it->device_id == device_id) out.push_back(*it);
  }
  return out;
}

void MemoryStore::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

}  // namespace yardgate::gate
