#include "gate/store.h"

#include <future>
#include <iterator>

namespace yardgate::gate {

void WriteBatch::Append(WriteBatch later) {
  auto move_all = [](auto& to, auto& from) {
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
  };
  move_all(visits, later.visits);
  move_all(frames, later.frames);
  move_all(appointments, later.appointments);
  move_all(customs, later.customs);
  move_all(audit, later.audit);
  move_all(events, later.events);
  move_all(idempotency, later.idempotency);
  move_all(blobs, later.blobs);
  move_all(positions, later.positions);
}

bool WriteBatch::empty() const {
  return visits.empty() && frames.empty() && appointments.empty() && customs.empty() && audit.empty() &&
         events.empty() && idempotency.empty() && blobs.empty() && positions.empty();
}

absl::Status CommitAndWait(Store& store, WriteBatch batch) {
  std::promise<absl::Status> promise;
  std::future<absl::Status> result = promise.get_future();
  store.Commit(std::move(batch), [&promise](absl::Status s) { promise.set_value(std::move(s)); });
  return result.get();
}

}  // namespace yardgate::gate
