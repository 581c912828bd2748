#include "server/yard.h"

#include <algorithm>
#include <chrono>
#include <set>

#include <SQLiteCpp/Statement.h>
#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/iso6346.h"
#include "common/plate_text.h"

namespace yardgate::server {
namespace {

using google::protobuf::util::TimeUtil;

constexpr int kMaxListPageSize = 1000;
constexpr int kDefaultListPageSize = 100;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Serialize(const google::protobuf::Message& m) {
  std::string bytes;
  m.SerializeToString(&bytes);
  return bytes;
}

template <class T>
bool ParseBlob(const SQLite::Column& column, T* out) {
  return out->ParseFromArray(column.getBlob(), column.getBytes());
}

gate::Direction ToGate(v1::Direction d) { return static_cast<gate::Direction>(d); }
v1::Direction ToProto(gate::Direction d) { return static_cast<v1::Direction>(d); }

gate::Appointment ToGate(const v1::Appointment& a) {
  gate::Appointment out;
  out.id = a.appointment_id();
  out.plate = a.plate();
  out.direction = ToGate(a.direction());
  for (const v1::ContainerMove& m : a.containers()) {
    out.containers.push_back({m.container_number(),
                              static_cast<gate::TransactionType>(m.transaction_type()), m.seal_id(),
                              m.customs_release_required()});
  }
  if (a.has_window_start()) out.window_start_ms = TimeUtil::TimestampToMilliseconds(a.window_start());
  if (a.has_window_end()) out.window_end_ms = TimeUtil::TimestampToMilliseconds(a.window_end());
  out.company = a.company();
  return out;
}

gate::FieldRead ToGate(const v1::FieldRead& r) { return {r.text(), r.confidence(), r.source()}; }

v1::Reason ToProto(const gate::Reason& r) {
  v1::Reason out;
  out.set_code(static_cast<v1::ReasonCode>(r.code));
  out.set_subject(r.subject);
  out.set_detail(r.detail);
  return out;
}

std::string IdempotencyScope(const std::string& scope, const std::string& key) {
  return absl::StrCat(scope, "\n", key);
}

void WriteVisitRow(SQLite::Database& db, const v1::Visit& visit) {
  SQLite::Statement q(db,
                      "INSERT OR REPLACE INTO visits (visit_id, lane_id, arrived_ms, decision, body) "
                      "VALUES (?, ?, ?, ?, ?)");
  q.bind(1, visit.visit_id());
  q.bind(2, visit.lane_id());
  q.bind(3, static_cast<int64_t>(TimeUtil::TimestampToMilliseconds(visit.arrived_at())));
  q.bind(4, static_cast<int>(visit.decision()));
  const std::string body = Serialize(visit);
  q.bind(5, body.data(), static_cast<int>(body.size()));
  q.exec();
}

void WriteAppointmentRow(SQLite::Database& db, const v1::Appointment& a) {
  SQLite::Statement q(db, "INSERT OR REPLACE INTO appointments (appointment_id, plate, body) VALUES (?, ?, ?)");
  const std::string body = Serialize(a);
  q.bind(1, a.appointment_id());
  q.bind(2, a.plate());
  q.bind(3, body.data(), static_cast<int>(body.size()));
  q.exec();
}

void WriteAudit(SQLite::Database& db, int64_t time_ms, const std::string& actor,
                const std::string& action, const std::string& visit_id, const std::string& detail) {
  SQLite::Statement q(db,
                      "INSERT INTO audit (time_ms, actor, action, visit_id, detail) VALUES (?, ?, ?, ?, ?)");
  q.bind(1, static_cast<int64_t>(time_ms));
  q.bind(2, actor);
  q.bind(3, action);
  q.bind(4, visit_id);
  q.bind(5, detail);
  q.exec();
}

bool IsEmptyRead(const v1::LaneRead& read) {
  return read.plate().empty() && read.container_numbers().empty() && read.rfid_tag().empty() &&
         read.ic_card().empty();
}

std::string DescribeReads(const v1::Visit& v) {
  std::vector<std::string> containers;
  for (const v1::FieldRead& c : v.containers()) containers.push_back(c.text());
  return absl::StrCat("plate=", v.plate().text(), " containers=", absl::StrJoin(containers, ","),
                      " decision=", v1::Decision_Name(v.decision()));
}

std::vector<std::string> SealIds(const gate::DecisionInput& input) {
  std::vector<std::string> ids;
  for (const gate::SealView& s : input.seals) ids.push_back(s.seal_id);
  return ids;
}

}  // namespace

void SideEffects::Append(SideEffects later) {
  for (v1::Event& e : later.events) events.push_back(std::move(e));
  if (later.rows) {
    rows = [first = std::move(rows), second = std::move(later.rows)](SQLite::Database& db) {
      if (first) first(db);
      second(db);
    };
  }
  if (later.after_commit) {
    after_commit = [first = std::move(after_commit), second = std::move(later.after_commit)] {
      if (first) first();
      second();
    };
  }
}

Yard::Yard(const Config& config, Store* store, LaneHardware* lanes, SealDirectory* seals)
    : config_(config), store_(store), lanes_(lanes), seals_(seals), policy_(config.policy) {}

absl::StatusOr<std::unique_ptr<Yard>> Yard::Load(const Config& config, Store* store,
                                                 LaneHardware* lanes, SealDirectory* seals) {
  std::unique_ptr<Yard> yard(new Yard(config, store, lanes, seals));
  absl::Status status = yard->LoadState();
  if (!status.ok()) return status;
  return yard;
}

absl::Status Yard::LoadState() {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t last_sequence = 0;
  absl::Status status = store_->Read([&](SQLite::Database& db) {
    last_sequence = static_cast<uint64_t>(db.execAndGet("SELECT COALESCE(MAX(seq), 0) FROM events").getInt64());
    SQLite::Statement appointments(db, "SELECT body FROM appointments");
    while (appointments.executeStep()) {
      v1::Appointment a;
      if (!ParseBlob(appointments.getColumn(0), &a)) throw std::runtime_error("bad appointment row");
      appointments_[a.appointment_id()] = a;
    }
    SQLite::Statement customs(db, "SELECT container, status FROM customs");
    while (customs.executeStep()) {
      customs_[customs.getColumn(0).getString()] =
          static_cast<v1::CustomsStatus>(customs.getColumn(1).getInt());
    }
    // Recent visits, and older trouble visits nobody has resolved yet.
    const int64_t cutoff = NowMs() - static_cast<int64_t>(config_.memory_hours) * 3'600'000;
    SQLite::Statement visits(db, "SELECT body FROM visits WHERE arrived_ms >= ? OR decision = ?");
    visits.bind(1, static_cast<int64_t>(cutoff));
    visits.bind(2, static_cast<int>(v1::DECISION_TROUBLE));
    while (visits.executeStep()) {
      v1::Visit v;
      if (!ParseBlob(visits.getColumn(0), &v)) throw std::runtime_error("bad visit row");
      if (TimeUtil::TimestampToMilliseconds(v.arrived_at()) < cutoff && v.passed()) continue;
      visits_[v.visit_id()] = v;
    }
    // Visit ids are "V" and a zero-padded number, so the largest is the newest.
    const std::string newest = db.execAndGet("SELECT COALESCE(MAX(visit_id), '') FROM visits").getString();
    if (!newest.empty()) next_visit_number_ = std::stoull(newest.substr(1)) + 1;
    SQLite::Statement keys(db,
                           "SELECT scope, key, request_hash, response, created_ms FROM idempotency "
                           "WHERE created_ms >= ? ORDER BY created_ms");
    keys.bind(1, static_cast<int64_t>(cutoff));
    while (keys.executeStep()) {
      const SQLite::Column response = keys.getColumn(3);
      const std::string scoped = IdempotencyScope(keys.getColumn(0).getString(), keys.getColumn(1).getString());
      const int64_t created = keys.getColumn(4).getInt64();
      idempotency_[scoped] = Remembered{keys.getColumn(2).getString(),
                                        std::string(static_cast<const char*>(response.getBlob()),
                                                    static_cast<size_t>(response.getBytes())),
                                        created};
      idempotency_order_.emplace_back(created, scoped);
    }
  });
  if (!status.ok()) return status;
  next_sequence_ = last_sequence + 1;
  events_ = std::make_unique<EventLog>(store_, last_sequence);
  return absl::OkStatus();
}

void Yard::SetPolicy(const gate::DecisionPolicy& policy) {
  std::lock_guard<std::mutex> lock(mu_);
  policy_ = policy;
}

bool Yard::healthy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return healthy_;
}

v1::Event Yard::NewEvent(const std::string& lane_id, const std::string& visit_id) {
  v1::Event e;
  *e.mutable_time() = TimeUtil::MillisecondsToTimestamp(NowMs());
  e.set_lane_id(lane_id);
  e.set_visit_id(visit_id);
  return e;
}

bool Yard::ReplayLocked(const std::string& scope, const std::string& key,
                        const std::string& request_hash, const RawReply& reply) {
  if (key.empty()) return false;
  const auto it = idempotency_.find(IdempotencyScope(scope, key));
  if (it == idempotency_.end()) return false;
  if (it->second.request_hash != request_hash) {
    reply(absl::FailedPreconditionError(absl::StrCat(
        "idempotency key '", key, "' was already used for a different ", scope, " request")));
    return true;
  }
  // The first call may still be in the writer's queue: answer once it is durable. The writer
  // is FIFO, so an empty job submitted now completes after it.
  store_->Submit([](SQLite::Database&) {},
                 [reply, response = it->second.response](absl::Status s) {
                   if (s.ok()) {
                     reply(response);
                   } else {
                     reply(s);
                   }
                 });
  return true;
}

void Yard::MutateRaw(const std::string& scope, const std::string& key, const std::string& request_hash,
                     RawReply reply, std::function<absl::StatusOr<RawChange>()> compute) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!healthy_) {
    lock.unlock();
    reply(absl::UnavailableError("the store failed to commit earlier; the yard refuses changes until restarted"));
    return;
  }
  if (ReplayLocked(scope, key, request_hash, reply)) return;
  absl::StatusOr<RawChange> change = compute();
  if (!change.ok()) {
    lock.unlock();
    reply(change.status());
    return;
  }
  const int64_t now_ms = NowMs();
  // Sequence numbers follow the order of the change's events, which is the order of cause.
  for (v1::Event& e : change->events) {
    e.set_sequence(next_sequence_++);
    if (!e.has_time()) *e.mutable_time() = TimeUtil::MillisecondsToTimestamp(now_ms);
  }
  // Only a success is remembered: a refused call may be retried once its cause is gone.
  const bool remember = !key.empty() && change->status.ok();
  if (remember) {
    const std::string scoped = IdempotencyScope(scope, key);
    idempotency_[scoped] = Remembered{request_hash, change->response, now_ms};
    idempotency_order_.emplace_back(now_ms, scoped);
  }
  auto events = std::make_shared<std::vector<v1::Event>>(std::move(change->events));
  Store::Work rows = std::move(change->rows);
  const std::string response_bytes = change->response;
  store_->Submit(
      [rows, events, scope, key, request_hash, response_bytes, now_ms, remember](SQLite::Database& db) {
        if (rows) rows(db);
        SQLite::Statement insert(db, "INSERT INTO events (seq, time_ms, lane_id, visit_id, body) VALUES (?, ?, ?, ?, ?)");
        for (const v1::Event& e : *events) {
          const std::string body = Serialize(e);
          insert.bind(1, static_cast<int64_t>(e.sequence()));
          insert.bind(2, static_cast<int64_t>(TimeUtil::TimestampToMilliseconds(e.time())));
          insert.bind(3, e.lane_id());
          insert.bind(4, e.visit_id());
          insert.bind(5, body.data(), static_cast<int>(body.size()));
          insert.exec();
          insert.reset();
        }
        if (remember) {
          SQLite::Statement q(db, "INSERT OR REPLACE INTO idempotency (scope, key, request_hash, response, created_ms) VALUES (?, ?, ?, ?, ?)");
          q.bind(1, scope);
          q.bind(2, key);
          q.bind(3, request_hash);
          q.bind(4, response_bytes.data(), static_cast<int>(response_bytes.size()));
          q.bind(5, static_cast<int64_t>(now_ms));
          q.exec();
        }
      },
      [this, events, status = change->status, response = change->response,
       after_commit = std::move(change->after_commit), reply](absl::Status s) {
        if (!s.ok()) {
          // Memory is now ahead of the disk: stop taking changes rather than diverge further.
          {
            std::lock_guard<std::mutex> lock(mu_);
            healthy_ = false;
          }
          reply(s);
          return;
        }
        events_->Publish(*events);
        if (after_commit) after_commit();
        if (status.ok()) {
          reply(response);
        } else {
          reply(status);
        }
      });
}

void Yard::RecordEvent(v1::Event event, Store::Work rows) {
  Reply<v1::Event> ignore = [](absl::StatusOr<v1::Event>) {};
  Mutate<v1::Event>("event", "", "", ignore, [&]() -> absl::StatusOr<Change<v1::Event>> {
    if (!event.has_time()) *event.mutable_time() = TimeUtil::MillisecondsToTimestamp(NowMs());
    Change<v1::Event> change;
    change.response = event;
    change.events.push_back(event);
    change.rows = std::move(rows);
    return change;
  });
}

absl::Status Yard::ValidateArrival(const v1::SubmitArrivalRequest& request) const {
  if (request.lane_id().empty()) return absl::InvalidArgumentError("lane_id is required");
  if (config_.FindLane(request.lane_id()) == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown lane '", request.lane_id(), "'"));
  }
  if (request.frames().empty() && IsEmptyRead(request.read())) {
    return absl::InvalidArgumentError("an arrival needs camera frames or a lane read (plate, containers, RFID or IC card)");
  }
  for (int i = 0; i < request.frames_size(); ++i) {
    const v1::CameraFrame& f = request.frames(i);
    if (f.jpeg().empty()) return absl::InvalidArgumentError(absl::StrCat("frame ", i, " has no image bytes"));
    if (static_cast<int64_t>(f.jpeg().size()) > config_.max_frame_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("frame ", i, " is ", f.jpeg().size(),
                                                     " bytes, more than the limit of ",
                                                     config_.max_frame_bytes));
    }
  }
  if (request.read().has_confidence() &&
      !(request.read().confidence() >= 0 && request.read().confidence() <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("read.confidence ", request.read().confidence(),
                                                   " is outside [0, 1]"));
  }
  for (const std::string& number : request.read().container_numbers()) {
    const std::string normalized = common::NormalizeContainerNumber(number);
    // A wrong check digit is a decision (TROUBLE naming it), but text that is not a container
    // number at all is a malformed request.
    if (normalized.size() != 11 || !common::ComputeCheckDigit(normalized).has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("read.container_numbers: '", number,
                                                     "' is not a container number (4 letters, 7 digits)"));
    }
  }
  return absl::OkStatus();
}

void Yard::ExpectedAt(const std::string& lane_id, std::vector<std::string>* plates,
                      std::vector<std::string>* containers) const {
  const LaneConfig* lane = config_.FindLane(lane_id);
  if (lane == nullptr) return;
  const int64_t now = NowMs();
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, a] : appointments_) {
    if (a.cancelled() || a.used() || ToGate(a.direction()) != lane->direction) continue;
    const gate::Appointment g = ToGate(a);
    if ((g.window_start_ms && now < g.window_start_ms) || (g.window_end_ms && now > g.window_end_ms)) continue;
    plates->push_back(a.plate());
    for (const v1::ContainerMove& m : a.containers()) {
      if (gate::ContainerOnTruck(static_cast<gate::TransactionType>(m.transaction_type()), lane->direction)) {
        containers->push_back(m.container_number());
      }
    }
  }
}

void Yard::ForgetOldLocked(int64_t now_ms) {
  const int64_t cutoff = now_ms - static_cast<int64_t>(config_.memory_hours) * 3'600'000;
  // Visit ids grow with time, so the oldest are first; an open trouble visit stays.
  for (auto it = visits_.begin(); it != visits_.end();) {
    const v1::Visit& v = it->second;
    if (TimeUtil::TimestampToMilliseconds(v.arrived_at()) >= cutoff) break;
    const bool open_trouble = v.decision() == v1::DECISION_TROUBLE && !v.passed();
    it = open_trouble ? std::next(it) : visits_.erase(it);
  }
  while (!idempotency_order_.empty() && idempotency_order_.front().first < cutoff) {
    const auto found = idempotency_.find(idempotency_order_.front().second);
    if (found != idempotency_.end() && found->second.created_ms < cutoff) idempotency_.erase(found);
    idempotency_order_.pop_front();
  }
}

const v1::Visit* Yard::ContinuableVisitLocked(const std::string& plate, v1::Stage stage, int64_t now_ms) const {
  if (plate.empty()) return nullptr;
  const int64_t oldest = now_ms - static_cast<int64_t>(config_.visit_active_minutes) * 60'000;
  // Visit ids grow with time: walk back from the newest until the window is left.
  for (auto it = visits_.rbegin(); it != visits_.rend(); ++it) {
    const v1::Visit& v = it->second;
    if (TimeUtil::TimestampToMilliseconds(v.arrived_at()) < oldest) break;
    if (v.plate().text() != plate) continue;
    // The newest visit of this truck decides: continue it only if it is at an earlier stage.
    return v.stage() != v1::STAGE_UNSPECIFIED && v.stage() < stage ? &v : nullptr;
  }
  return nullptr;
}

gate::DecisionInput Yard::DecisionInputLocked(const v1::Visit& visit, int64_t now_ms) const {
  gate::DecisionInput in;
  in.visit_id = visit.visit_id();
  in.direction = ToGate(visit.direction());
  in.now_ms = now_ms;
  if (visit.has_plate() && !visit.plate().text().empty()) in.plate = ToGate(visit.plate());
  std::set<std::string> numbers;
  for (const v1::FieldRead& c : visit.containers()) {
    in.containers.push_back(ToGate(c));
    numbers.insert(common::NormalizeContainerNumber(c.text()));
  }
  const std::string plate = in.plate ? common::NormalizePlate(in.plate->text) : "";
  std::vector<std::string> expected_seals;
  for (const auto& [id, a] : appointments_) {
    if (id == visit.appointment_id() && !a.cancelled()) {
      // A continued visit keeps its appointment through every stage; at the out-gate the
      // appointment's deliveries are what should be on the truck.
      gate::Appointment own = ToGate(a);
      own.direction = in.direction;
      in.appointments.push_back(own);
      for (const v1::ContainerMove& m : a.containers()) {
        numbers.insert(m.container_number());
        if (!m.seal_id().empty()) expected_seals.push_back(m.seal_id());
      }
      continue;
    }
    if (a.cancelled() || a.used() || ToGate(a.direction()) != in.direction) continue;
    bool relevant = !plate.empty() && a.plate() == plate;
    for (const v1::ContainerMove& m : a.containers()) relevant |= numbers.count(m.container_number()) > 0;
    if (!relevant) continue;
    in.appointments.push_back(ToGate(a));
    for (const v1::ContainerMove& m : a.containers()) {
      numbers.insert(m.container_number());
      if (!m.seal_id().empty()) expected_seals.push_back(m.seal_id());
    }
  }
  for (const std::string& n : numbers) {
    const auto it = customs_.find(n);
    if (it != customs_.end()) in.customs[n] = static_cast<gate::CustomsStatus>(it->second);
  }
  if (seals_ != nullptr) {
    in.seals = seals_->SealsFor(plate, std::vector<std::string>(numbers.begin(), numbers.end()),
                                expected_seals);
  }
  if (lanes_ != nullptr) {
    const absl::Status ready = lanes_->Ready(visit.lane_id());
    in.lane_healthy = ready.ok();
    in.lane_fault = std::string(ready.message());
  }
  return in;
}

void Yard::ApplyOutcomeLocked(const gate::DecisionOutcome& outcome, const std::string& decided_by,
                              v1::Visit* visit) const {
  visit->set_decision(static_cast<v1::Decision>(outcome.verdict));
  visit->clear_reasons();
  for (const gate::Reason& r : outcome.reasons) *visit->add_reasons() = ToProto(r);
  visit->set_appointment_id(outcome.appointment_id);
  visit->set_driver_message_zh(outcome.message_zh);
  visit->set_driver_message_en(outcome.message_en);
  visit->set_decided_by(decided_by);
  visit->clear_transactions();
  const auto a = appointments_.find(outcome.appointment_id);
  if (a == appointments_.end()) return;
  for (const v1::ContainerMove& m : a->second.containers()) {
    v1::Transaction* t = visit->add_transactions();
    t->set_container_number(m.container_number());
    t->set_transaction_type(m.transaction_type());
    t->set_on_truck(gate::ContainerOnTruck(static_cast<gate::TransactionType>(m.transaction_type()),
                                           ToGate(visit->direction())));
    for (const v1::FieldRead& c : visit->containers()) t->set_seen(t->seen() || c.text() == m.container_number());
  }
}

std::function<void()> Yard::OpenBarrierEffect(const v1::Visit& visit) {
  if (visit.decision() != v1::DECISION_OPEN || lanes_ == nullptr) return nullptr;
  return [this, lane = visit.lane_id(), id = visit.visit_id()] {
    const absl::Status s = lanes_->Open(lane, id);
    if (!s.ok()) {
      v1::Event e;
      e.set_lane_id(lane);
      e.set_visit_id(id);
      e.mutable_barrier_changed()->set_command(v1::BARRIER_COMMAND_OPEN);
      e.mutable_barrier_changed()->set_ok(false);
      e.mutable_barrier_changed()->set_detail(std::string(s.message()));
      RecordEvent(std::move(e));
    }
  };
}

namespace {

v1::Event DecidedEvent(v1::Event e, const v1::Visit& visit) {
  v1::VisitDecided* d = e.mutable_visit_decided();
  d->set_decision(visit.decision());
  *d->mutable_reasons() = visit.reasons();
  d->set_plate(visit.plate().text());
  for (const v1::FieldRead& c : visit.containers()) d->add_container_numbers(c.text());
  d->set_appointment_id(visit.appointment_id());
  d->set_decided_by(visit.decided_by());
  return e;
}

}  // namespace

void Yard::SubmitArrival(const v1::SubmitArrivalRequest& request, ArrivalReads reads,
                         std::vector<EvidenceFrame> evidence, Reply<v1::SubmitArrivalResponse> reply) {
  const absl::Status valid = ValidateArrival(request);
  if (!valid.ok()) {
    reply(valid);
    return;
  }
  const LaneConfig* lane = config_.FindLane(request.lane_id());
  Mutate<v1::SubmitArrivalResponse>(
      "SubmitArrival", request.idempotency_key(), RequestHash(request), reply,
      [&]() -> absl::StatusOr<Change<v1::SubmitArrivalResponse>> {
        const int64_t now = NowMs();
        ForgetOldLocked(now);
        const v1::Stage stage = static_cast<v1::Stage>(lane->EffectiveStage());
        const google::protobuf::Timestamp at =
            request.has_captured_at() ? request.captured_at() : TimeUtil::MillisecondsToTimestamp(now);
        const std::string plate = reads.plate ? common::NormalizePlate(reads.plate->text()) : "";
        v1::Visit visit;
        if (const v1::Visit* earlier = ContinuableVisitLocked(plate, stage, now)) {
          // The same truck at a later stage: one visit, from the pre-gate to the out-gate.
          visit = *earlier;
          const bool from_pre_gate = visit.stage() == v1::STAGE_PRE_GATE;
          visit.clear_passed();
          visit.clear_passed_at();
          // What the pre-gate portal read still stands at the in-gate; at the out-gate the
          // truck has changed its load, so only what is read there counts.
          if (!from_pre_gate || !reads.containers.empty()) visit.clear_containers();
        } else {
          visit.set_visit_id(absl::StrFormat("V%010d", next_visit_number_++));
          *visit.mutable_arrived_at() = at;
        }
        visit.set_lane_id(lane->id);
        visit.set_direction(ToProto(lane->direction));
        visit.set_stage(stage);
        if (reads.plate) *visit.mutable_plate() = *reads.plate;
        for (const v1::FieldRead& c : reads.containers) *visit.add_containers() = c;

        Change<v1::SubmitArrivalResponse> change;
        // Seals on this truck have arrived; the decision then sees them as they are now.
        if (seals_ != nullptr) {
          std::vector<std::string> numbers;
          for (const v1::FieldRead& c : visit.containers()) numbers.push_back(c.text());
          change.Append(seals_->OnGateArrival(visit.lane_id(), common::NormalizePlate(visit.plate().text()), numbers));
        }
        const gate::DecisionInput input = DecisionInputLocked(visit, now);
        ApplyOutcomeLocked(gate::Decide(input, policy_), "gate", &visit);
        v1::StagePass* pass = visit.add_stages();
        pass->set_stage(stage);
        pass->set_lane_id(lane->id);
        *pass->mutable_at() = at;
        pass->set_decision(visit.decision());
        visits_[visit.visit_id()] = visit;

        *change.response.mutable_visit() = visit;
        change.events.push_back(DecidedEvent(NewEvent(visit.lane_id(), visit.visit_id()), visit));
        SideEffects visit_rows;
        visit_rows.rows = [visit, evidence = std::move(evidence)](SQLite::Database& db) {
          WriteVisitRow(db, visit);
          // A continued visit adds its new stage's frames after the earlier ones.
          SQLite::Statement q(db,
                              "INSERT INTO visit_frames (visit_id, idx, camera, image) VALUES "
                              "(?1, (SELECT COALESCE(MAX(idx) + 1, 0) FROM visit_frames WHERE visit_id = ?1), ?2, ?3)");
          for (size_t i = 0; i < evidence.size(); ++i) {
            q.bind(1, visit.visit_id());
            q.bind(2, evidence[i].camera);
            q.bind(3, evidence[i].image.data(), static_cast<int>(evidence[i].image.size()));
            q.exec();
            q.reset();
          }
        };
        visit_rows.after_commit = OpenBarrierEffect(visit);
        change.Append(std::move(visit_rows));
        if (seals_ != nullptr && visit.decision() == v1::DECISION_OPEN) {
          change.Append(seals_->OnGateOpen(visit.visit_id(), SealIds(input)));
        }
        return change;
      });
}

void Yard::ReportPassage(const v1::ReportPassageRequest& request, Reply<v1::ReportPassageResponse> reply) {
  Mutate<v1::ReportPassageResponse>(
      "ReportPassage", request.idempotency_key(), RequestHash(request), reply,
      [&]() -> absl::StatusOr<Change<v1::ReportPassageResponse>> {
        const auto it = visits_.find(request.visit_id());
        if (it == visits_.end()) {
          return absl::NotFoundError(absl::StrCat("no visit '", request.visit_id(), "'"));
        }
        v1::Visit& visit = it->second;
        if (visit.decision() != v1::DECISION_OPEN) {
          return absl::FailedPreconditionError(absl::StrCat(
              "visit ", visit.visit_id(), " is ", v1::Decision_Name(visit.decision()),
              ": only an opened visit can pass"));
        }
        if (visit.passed()) {
          return absl::FailedPreconditionError(absl::StrCat("visit ", visit.visit_id(), " has already passed"));
        }
        const int64_t now = NowMs();
        visit.set_passed(true);
        *visit.mutable_passed_at() = TimeUtil::MillisecondsToTimestamp(now);

        Change<v1::ReportPassageResponse> change;
        v1::Event passed = NewEvent(visit.lane_id(), visit.visit_id());
        passed.mutable_truck_passed()->set_direction(visit.direction());
        change.events.push_back(passed);

        std::optional<v1::Appointment> used;
        const auto a = appointments_.find(visit.appointment_id());
        if (a != appointments_.end() && !a->second.used()) {
          a->second.set_used(true);
          used = a->second;
          v1::Event e = NewEvent(visit.lane_id(), visit.visit_id());
          e.mutable_appointment_changed()->set_appointment_id(a->first);
          e.mutable_appointment_changed()->set_change(v1::APPOINTMENT_CHANGE_USED);
          change.events.push_back(e);
          // An empty coming back is returned the moment it passes the in-gate: the line's
          // detention stops at the real gate time, not when paperwork catches up.
          for (const v1::ContainerMove& m : a->second.containers()) {
            if (m.transaction_type() != v1::TRANSACTION_TYPE_RECEIVE_EMPTY &&
                m.transaction_type() != v1::TRANSACTION_TYPE_RECEIVE_IMPORT) {
              continue;
            }
            v1::Event r = NewEvent(visit.lane_id(), visit.visit_id());
            r.mutable_container_returned()->set_container_number(m.container_number());
            r.mutable_container_returned()->set_transaction_type(m.transaction_type());
            change.events.push_back(r);
          }
        }
        *change.response.mutable_visit() = visit;
        change.rows = [visit, used](SQLite::Database& db) {
          WriteVisitRow(db, visit);
          if (used) WriteAppointmentRow(db, *used);
        };
        return change;
      });
}

void Yard::RequestAssistance(const v1::RequestAssistanceRequest& request,
                             Reply<v1::RequestAssistanceResponse> reply) {
  if (config_.FindLane(request.lane_id()) == nullptr) {
    reply(absl::NotFoundError(absl::StrCat("unknown lane '", request.lane_id(), "'")));
    return;
  }
  Mutate<v1::RequestAssistanceResponse>(
      "RequestAssistance", request.idempotency_key(), RequestHash(request), reply,
      [&]() -> absl::StatusOr<Change<v1::RequestAssistanceResponse>> {
        Change<v1::RequestAssistanceResponse> change;
        std::optional<v1::Visit> changed;
        if (!request.visit_id().empty()) {
          const auto it = visits_.find(request.visit_id());
          if (it == visits_.end()) return absl::NotFoundError(absl::StrCat("no visit '", request.visit_id(), "'"));
          v1::Visit& visit = it->second;
          if (visit.lane_id() != request.lane_id()) {
            return absl::InvalidArgumentError(absl::StrCat("visit ", visit.visit_id(), " is at lane ",
                                                           visit.lane_id(), ", not ", request.lane_id()));
          }
          // A truck already let through needs no desk; any other visit goes to trouble.
          if (visit.decision() != v1::DECISION_OPEN) {
            visit.set_decision(v1::DECISION_TROUBLE);
            v1::Reason* r = visit.add_reasons();
            r->set_code(v1::REASON_CODE_ASSISTANCE_REQUESTED);
            r->set_detail(request.message().empty() ? "the driver asked for help" : request.message());
            const auto [zh, en] = gate::DriverMessage(gate::ReasonCode::kAssistanceRequested);
            visit.set_driver_message_zh(zh);
            visit.set_driver_message_en(en);
            changed = visit;
          }
        }
        v1::Event e = NewEvent(request.lane_id(), request.visit_id());
        e.mutable_assistance_requested()->set_message(request.message());
        change.response.set_event_sequence(next_sequence_ + change.events.size());
        change.events.push_back(e);
        if (changed) change.rows = [visit = *changed](SQLite::Database& db) { WriteVisitRow(db, visit); };
        return change;
      });
}

void Yard::UpsertAppointment(const v1::UpsertAppointmentRequest& request, Reply<v1::Appointment> reply) {
  v1::Appointment a = request.appointment();
  if (a.appointment_id().empty()) return reply(absl::InvalidArgumentError("appointment.appointment_id is required"));
  a.set_plate(common::NormalizePlate(a.plate()));
  if (a.plate().empty()) return reply(absl::InvalidArgumentError("appointment.plate is required"));
  if (a.direction() == v1::DIRECTION_UNSPECIFIED) {
    return reply(absl::InvalidArgumentError("appointment.direction is required (DIRECTION_IN or DIRECTION_OUT)"));
  }
  if (a.has_window_start() && a.has_window_end() &&
      TimeUtil::TimestampToMilliseconds(a.window_end()) < TimeUtil::TimestampToMilliseconds(a.window_start())) {
    return reply(absl::InvalidArgumentError("appointment.window_end is before window_start"));
  }
  std::set<std::string> seen;
  for (int i = 0; i < a.containers_size(); ++i) {
    v1::ContainerMove* m = a.mutable_containers(i);
    m->set_container_number(common::NormalizeContainerNumber(m->container_number()));
    const absl::Status valid = common::ValidateContainerNumber(m->container_number());
    if (!valid.ok()) {
      return reply(absl::InvalidArgumentError(absl::StrCat("appointment.containers[", i, "]: ", valid.message())));
    }
    if (!seen.insert(m->container_number()).second) {
      return reply(absl::InvalidArgumentError(absl::StrCat("appointment.containers[", i, "]: ",
                                                           m->container_number(), " is listed twice")));
    }
  }
  a.set_cancelled(false);
  a.set_used(false);
  Mutate<v1::Appointment>("UpsertAppointment", request.idempotency_key(), RequestHash(request), reply,
                          [&]() -> absl::StatusOr<Change<v1::Appointment>> {
                            appointments_[a.appointment_id()] = a;
                            Change<v1::Appointment> change;
                            change.response = a;
                            v1::Event e = NewEvent("", "");
                            e.mutable_appointment_changed()->set_appointment_id(a.appointment_id());
                            e.mutable_appointment_changed()->set_change(v1::APPOINTMENT_CHANGE_UPSERTED);
                            change.events.push_back(e);
                            change.rows = [a](SQLite::Database& db) { WriteAppointmentRow(db, a); };
                            return change;
                          });
}

void Yard::CancelAppointment(const v1::CancelAppointmentRequest& request, Reply<v1::Appointment> reply) {
  Mutate<v1::Appointment>(
      "CancelAppointment", request.idempotency_key(), RequestHash(request), reply,
      [&]() -> absl::StatusOr<Change<v1::Appointment>> {
        const auto it = appointments_.find(request.appointment_id());
        if (it == appointments_.end()) {
          return absl::NotFoundError(absl::StrCat("no appointment '", request.appointment_id(), "'"));
        }
        it->second.set_cancelled(true);
        Change<v1::Appointment> change;
        change.response = it->second;
        v1::Event e = NewEvent("", "");
        e.mutable_appointment_changed()->set_appointment_id(it->first);
        e.mutable_appointment_changed()->set_change(v1::APPOINTMENT_CHANGE_CANCELLED);
        change.events.push_back(e);
        change.rows = [a = it->second](SQLite::Database& db) { WriteAppointmentRow(db, a); };
        return change;
      });
}

void Yard::SetCustomsStatus(const v1::SetCustomsStatusRequest& request,
                            Reply<v1::SetCustomsStatusResponse> reply) {
  const std::string number = common::NormalizeContainerNumber(request.container_number());
  const absl::Status valid = common::ValidateContainerNumber(number);
  if (!valid.ok()) return reply(absl::InvalidArgumentError(absl::StrCat("container_number: ", valid.message())));
  if (request.status() == v1::CUSTOMS_STATUS_UNSPECIFIED) {
    return reply(absl::InvalidArgumentError("status is required (RELEASED, HELD or INSPECTION)"));
  }
  Mutate<v1::SetCustomsStatusResponse>(
      "SetCustomsStatus", request.idempotency_key(), RequestHash(request), reply,
      [&]() -> absl::StatusOr<Change<v1::SetCustomsStatusResponse>> {
        customs_[number] = request.status();
        Change<v1::SetCustomsStatusResponse> change;
        v1::Event e = NewEvent("", "");
        e.mutable_customs_status_changed()->set_container_number(number);
        e.mutable_customs_status_changed()->set_status(request.status());
        change.response.set_event_sequence(next_sequence_ + change.events.size());
        change.events.push_back(e);
        change.rows = [number, status = request.status()](SQLite::Database& db) {
          SQLite::Statement q(db, "INSERT OR REPLACE INTO customs (container, status, updated_ms) VALUES (?, ?, ?)");
          q.bind(1, number);
          q.bind(2, static_cast<int>(status));
          q.bind(3, static_cast<int64_t>(NowMs()));
          q.exec();
        };
        return change;
      });
}

absl::StatusOr<v1::ListVisitsResponse> Yard::ListVisits(const v1::ListVisitsRequest& request) const {
  if (request.page_size() < 0) return absl::InvalidArgumentError("page_size must not be negative");
  const int page_size = request.page_size() == 0 ? kDefaultListPageSize
                                                 : std::min(request.page_size(), kMaxListPageSize);
  v1::ListVisitsResponse response;
  absl::Status read = store_->Read([&](SQLite::Database& db) {
    // One more row than the page tells whether there is a next page.
    SQLite::Statement q(db,
                        "SELECT body FROM visits WHERE visit_id > ? AND (? = '' OR lane_id = ?) "
                        "ORDER BY visit_id LIMIT ?");
    q.bind(1, request.page_token());
    q.bind(2, request.lane_id());
    q.bind(3, request.lane_id());
    q.bind(4, page_size + 1);
    while (q.executeStep()) {
      if (response.visits_size() == page_size) {
        response.set_next_page_token(response.visits(page_size - 1).visit_id());
        break;
      }
      if (!ParseBlob(q.getColumn(0), response.add_visits())) throw std::runtime_error("bad visit row");
    }
  });
  if (!read.ok()) return read;
  return response;
}

absl::StatusOr<v1::Visit> Yard::GetVisit(const std::string& visit_id) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = visits_.find(visit_id);
    if (it != visits_.end()) return it->second;
  }
  v1::Visit visit;
  bool found = false;
  absl::Status read = store_->Read([&](SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT body FROM visits WHERE visit_id = ?");
    q.bind(1, visit_id);
    if (q.executeStep()) found = ParseBlob(q.getColumn(0), &visit);
  });
  if (!read.ok()) return read;
  if (!found) return absl::NotFoundError(absl::StrCat("no visit '", visit_id, "'"));
  return visit;
}

absl::StatusOr<v1::ListTroubleVisitsResponse> Yard::ListTroubleVisits(
    const v1::ListTroubleVisitsRequest& request) const {
  v1::ListTroubleVisitsResponse response;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, visit] : visits_) {
      if (visit.decision() != v1::DECISION_TROUBLE || visit.passed()) continue;
      if (!request.lane_id().empty() && visit.lane_id() != request.lane_id()) continue;
      v1::TroubleCase* c = response.add_cases();
      *c->mutable_visit() = visit;
      const auto a = appointments_.find(visit.appointment_id());
      if (a != appointments_.end()) *c->mutable_expected() = a->second;
    }
  }
  if (!request.include_frames() || response.cases().empty()) return response;
  absl::Status read = store_->Read([&](SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT camera, image FROM visit_frames WHERE visit_id = ? ORDER BY idx");
    for (v1::TroubleCase& c : *response.mutable_cases()) {
      q.bind(1, c.visit().visit_id());
      while (q.executeStep()) {
        v1::EvidenceFrame* f = c.add_frames();
        f->set_camera(q.getColumn(0).getString());
        const SQLite::Column image = q.getColumn(1);
        f->set_image(static_cast<const char*>(image.getBlob()), static_cast<size_t>(image.getBytes()));
      }
      q.reset();
    }
  });
  if (!read.ok()) return read;
  return response;
}

void Yard::ResolveTrouble(const v1::ResolveTroubleRequest& request, Reply<v1::Visit> reply) {
  if (request.clerk_id().empty()) return reply(absl::InvalidArgumentError("clerk_id is required"));
  if (request.action() == v1::CLERK_ACTION_UNSPECIFIED) {
    return reply(absl::InvalidArgumentError("action is required (CORRECT, APPROVE or REJECT)"));
  }
  if (request.action() == v1::CLERK_ACTION_CORRECT && request.corrected_plate().empty() &&
      request.corrected_container_numbers().empty()) {
    return reply(absl::InvalidArgumentError("CORRECT needs corrected_plate or corrected_container_numbers"));
  }
  for (const std::string& n : request.corrected_container_numbers()) {
    const std::string normalized = common::NormalizeContainerNumber(n);
    if (normalized.size() != 11 || !common::ComputeCheckDigit(normalized).has_value()) {
      return reply(absl::InvalidArgumentError(absl::StrCat("corrected_container_numbers: '", n,
                                                           "' is not a container number")));
    }
  }
  Mutate<v1::Visit>(
      "ResolveTrouble", request.idempotency_key(), RequestHash(request), reply,
      [&]() -> absl::StatusOr<Change<v1::Visit>> {
        const auto it = visits_.find(request.visit_id());
        if (it == visits_.end()) return absl::NotFoundError(absl::StrCat("no visit '", request.visit_id(), "'"));
        v1::Visit& visit = it->second;
        if (visit.decision() != v1::DECISION_TROUBLE || visit.passed()) {
          return absl::FailedPreconditionError(absl::StrCat("visit ", visit.visit_id(), " is ",
                                                            v1::Decision_Name(visit.decision()),
                                                            ", not an open trouble visit"));
        }
        const std::string before = DescribeReads(visit);
        const int64_t now = NowMs();
        if (!request.corrected_plate().empty()) {
          v1::FieldRead* p = visit.mutable_plate();
          p->set_text(common::NormalizePlate(request.corrected_plate()));
          p->set_confidence(1.0);
          p->set_source("clerk");
          p->set_check_digit_ok(false);
        }
        if (!request.corrected_container_numbers().empty()) {
          visit.clear_containers();
          for (const std::string& n : request.corrected_container_numbers()) {
            v1::FieldRead* c = visit.add_containers();
            c->set_text(common::NormalizeContainerNumber(n));
            c->set_confidence(1.0);
            c->set_source("clerk");
            c->set_check_digit_ok(common::ValidateContainerNumber(c->text()).ok());
          }
        }
        // Every override goes through the decision again, on today's customs and seal state.
        const gate::DecisionInput input = DecisionInputLocked(visit, now);
        gate::DecisionOutcome outcome = gate::Decide(input, policy_);
        // Only a decision with nothing wrong verifies seals; a clerk's approval does not (an
        // unlock needs the gate's own verification or an officer).
        const bool seals_verified = outcome.verdict == gate::Verdict::kOpen;
        switch (request.action()) {
          case v1::CLERK_ACTION_APPROVE: {
            const bool lane_fault = std::any_of(outcome.reasons.begin(), outcome.reasons.end(),
                                                [](const gate::Reason& r) { return r.code == gate::ReasonCode::kLaneFault; });
            if (lane_fault) {
              return absl::FailedPreconditionError("the lane reports a fault: a clerk cannot open it until it clears");
            }
            outcome.verdict = gate::Verdict::kOpen;
            std::tie(outcome.message_zh, outcome.message_en) =
                std::pair<std::string, std::string>{"工作人员已放行，请通行", "Approved by the gate office, please proceed"};
            break;
          }
          case v1::CLERK_ACTION_REJECT:
            outcome.verdict = gate::Verdict::kDeny;
            outcome.reasons.push_back({gate::ReasonCode::kClerkRejected, request.clerk_id(), request.comment()});
            std::tie(outcome.message_zh, outcome.message_en) = gate::DriverMessage(gate::ReasonCode::kClerkRejected);
            break;
          default:
            break;
        }
        ApplyOutcomeLocked(outcome, request.clerk_id(), &visit);
        const std::string action = v1::ClerkAction_Name(request.action());
        const std::string detail = absl::StrCat("before: ", before, "; after: ", DescribeReads(visit),
                                                "; comment: ", request.comment());
        Change<v1::Visit> change;
        change.response = visit;
        change.events.push_back(DecidedEvent(NewEvent(visit.lane_id(), visit.visit_id()), visit));
        change.rows = [visit, clerk = request.clerk_id(), action, detail, now](SQLite::Database& db) {
          WriteVisitRow(db, visit);
          WriteAudit(db, now, clerk, action, visit.visit_id(), detail);
        };
        change.after_commit = OpenBarrierEffect(visit);
        if (seals_ != nullptr && seals_verified) change.Append(seals_->OnGateOpen(visit.visit_id(), SealIds(input)));
        return change;
      });
}

}  // namespace yardgate::server
