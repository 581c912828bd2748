// The journal's promises with an in-memory store: answers only after durability, one key space,
// logged times that never run backwards, fail closed when the store refuses writes and recover.
#include "server/journal.h"

#include <gtest/gtest.h>

#include <future>

#include "gate/memory_store.h"

namespace yardgate::server {
namespace {

class NoEffects final : public EffectRunner {
 public:
  void Run(const gate::Effect& effect, std::function<void(absl::Status)> done) override {
    ran.push_back(effect);
    done(result);
  }
  std::vector<gate::Effect> ran;
  absl::Status result;
};

class JournalTest : public ::testing::Test {
 protected:
  JournalTest()
      : clock_(absl::FromUnixSeconds(1'765'000'000)),
        disk_(std::make_shared<gate::MemoryDisk>()),
        store_(std::make_unique<gate::MemoryStore>(disk_)) {
    Start();
  }
  void Start() {
    journal_ = std::make_unique<Journal>(store_.get(), &clock_, &effects_,
                                         Journal::Options{absl::Hours(72), absl::Milliseconds(20)});
    journal_->SetHealthListener([this](bool healthy, const std::string&) {
      std::lock_guard<std::mutex> lock(mu_);
      health_.push_back(healthy);
    });
    ASSERT_TRUE(journal_
                    ->Start([this](const gate::StoredState& state) -> absl::StatusOr<gate::Change> {
                              ++restores_;
                              last_state_ = state;
                              return gate::Change{};
                            },
                            [this](const gate::Effect&, const absl::Status& result) -> std::optional<Journal::Compute> {
                              effect_results_.push_back(result);
                              return std::nullopt;
                            },
                            [](const gate::IdempotencyRecord&) { return absl::StatusOr<std::string>("rendered"); })
                    .ok());
  }

  // Runs a change that logs one event and answers `answer`.
  absl::StatusOr<std::string> Run(const Journal::Call& call, const std::string& answer,
                                  std::vector<gate::Effect> effects = {}) {
    std::promise<absl::StatusOr<std::string>> done;
    journal_->Execute(call, [answer, effects]() -> absl::StatusOr<Journal::Entry> {
      Journal::Entry entry;
      gate::Event e;
      e.payload = gate::TruckPassed{gate::Direction::kIn, "kiosk"};
      entry.change.events.push_back(e);
      entry.change.effects = effects;
      entry.subject = "V1";
      entry.respond = [answer](const Journal::Committed& c) -> absl::StatusOr<std::string> {
        return absl::StrCat(answer, "#", c.sequences.at(0));
      };
      return entry;
    }, [&done](absl::StatusOr<std::string> r) { done.set_value(std::move(r)); });
    return done.get_future().get();
  }

  std::vector<gate::Event> StoredEvents() {
    std::vector<gate::Event> events;
    EXPECT_TRUE(store_->ReadEvents(0, 1000, &events).ok());
    return events;
  }

  common::ManualClock clock_;
  std::shared_ptr<gate::MemoryDisk> disk_;
  std::unique_ptr<gate::MemoryStore> store_;
  NoEffects effects_;
  std::unique_ptr<Journal> journal_;
  std::mutex mu_;
  std::vector<bool> health_;
  int restores_ = 0;
  gate::StoredState last_state_;
  std::vector<absl::Status> effect_results_;
};

TEST_F(JournalTest, ARetryWithTheSameKeyAnswersTheSameBytesAndChangesNothing) {
  const Journal::Call call{"k1", "SubmitArrival", "h1"};
  const absl::StatusOr<std::string> first = Run(call, "visit");
  ASSERT_TRUE(first.ok());
  const absl::StatusOr<std::string> again = Run(call, "other");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
  EXPECT_EQ(StoredEvents().size(), 1u);
}

// Rule 10: one key space spans every method.
TEST_F(JournalTest, AKeyReusedForAnotherRequestOrMethodIsRefused) {
  ASSERT_TRUE(Run({"k1", "SubmitArrival", "h1"}, "a").ok());
  EXPECT_EQ(Run({"k1", "SubmitArrival", "h2"}, "b").status().code(), absl::StatusCode::kFailedPrecondition);
  const absl::StatusOr<std::string> other_method = Run({"k1", "SetCustomsStatus", "h1"}, "c");
  EXPECT_EQ(other_method.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(other_method.status().message().find("SubmitArrival"), std::string::npos);
}

// Rule 8: one clock, one resolution; logged times never run backwards against sequence numbers.
TEST_F(JournalTest, LoggedTimesNeverRunBackwards) {
  ASSERT_TRUE(Run({}, "a").ok());
  clock_.Advance(-absl::Seconds(5));  // the wall clock steps back (NTP)
  ASSERT_TRUE(Run({}, "b").ok());
  clock_.Advance(absl::Nanoseconds(1500));
  ASSERT_TRUE(Run({}, "c").ok());
  const std::vector<gate::Event> events = StoredEvents();
  ASSERT_EQ(events.size(), 3u);
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_GT(events[i].sequence, events[i - 1].sequence);
    EXPECT_GE(events[i].logged_at, events[i - 1].logged_at);
    EXPECT_EQ(absl::ToUnixNanos(events[i].logged_at) % 1000, 0) << "microseconds";
  }
}

// Rule 9 and issue 14 defect 2: a refused write is never answered OK, not even to a retry with
// the same key; the journal refuses changes and says so until the store recovers.
TEST_F(JournalTest, WhenTheStoreRefusesWritesTheJournalFailsClosedAndRecovers) {
  disk_->FailAllCommits(absl::ResourceExhaustedError("disk full"));
  const Journal::Call call{"k1", "SubmitArrival", "h1"};
  EXPECT_FALSE(Run(call, "a").ok());
  EXPECT_FALSE(journal_->healthy());
  const absl::StatusOr<std::string> retry = Run(call, "a");
  EXPECT_EQ(retry.status().code(), absl::StatusCode::kUnavailable) << retry.status();
  EXPECT_NE(retry.status().message().find("disk full"), std::string::npos);
  // Space is freed: the journal reloads from the store and serves again, by itself.
  const int restores = restores_;
  disk_->ClearFaults();
  for (int i = 0; i < 200 && !journal_->healthy(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(journal_->healthy());
  EXPECT_GT(restores_, restores);
  const absl::StatusOr<std::string> after = Run(call, "a");
  ASSERT_TRUE(after.ok()) << after.status();
  // The retried call ran now, once: the failed attempt left nothing.
  EXPECT_EQ(StoredEvents().size(), 1u);
  EXPECT_EQ(StoredEvents()[0].sequence, 1u);
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_EQ(health_, (std::vector<bool>{false, true}));
}

TEST_F(JournalTest, AnAwaitedEffectIsAnsweredAfterItsResultAndItsKeyIsKept) {
  effects_.result = absl::UnavailableError("PLC down");
  const Journal::Call call{"k1", "SubmitArrival", "h1"};
  const absl::StatusOr<std::string> answer = Run(call, "visit", {gate::OpenBarrier{"L1", "V1"}});
  ASSERT_TRUE(answer.ok());
  ASSERT_EQ(effect_results_.size(), 1u);
  EXPECT_EQ(effect_results_[0].code(), absl::StatusCode::kUnavailable);
  const std::optional<gate::IdempotencyRecord> stored = *store_->GetIdempotency("k1");
  ASSERT_TRUE(stored.has_value());
  EXPECT_FALSE(stored->pending);
  EXPECT_EQ(stored->response, *answer);
}

// A call interrupted after its decision and before its barrier's result is answered after the
// restart from its subject, never computed a second time.
TEST_F(JournalTest, APendingKeyFoundAtStartIsRenderedFromItsSubject) {
  gate::WriteBatch b;
  b.idempotency.push_back({"k9", "SubmitArrival", "h9", "", true, "V7", clock_.Now()});
  ASSERT_TRUE(gate::CommitAndWait(*store_, b).ok());
  journal_.reset();
  Start();
  const absl::StatusOr<std::string> replay = Run({"k9", "SubmitArrival", "h9"}, "new");
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(*replay, "rendered");
  EXPECT_TRUE(StoredEvents().empty());
}

}  // namespace
}  // namespace yardgate::server
