// Where a seal is in its life, shared by the seal book (seal_book.h) and the gate's decision
// (gate/decision.h), which both reason about it. Header only, no dependencies.
//
// The numeric values equal yardgate.v1.SealState, so server/ can static_cast between them.
#ifndef YARDGATE_SEAL_BRIDGE_SEAL_STATE_H_
#define YARDGATE_SEAL_BRIDGE_SEAL_STATE_H_

namespace yardgate::seal {

// kNone is only the `from` of the event that first applies a seal (SEAL_STATE_UNSPECIFIED).
enum class SealState {
  kNone = 0,
  kApplied = 1,
  kInTransit = 2,
  kArrived = 3,
  kVerified = 4,
  kUnlocked = 5,
  kRemoved = 6,
  kAlarm = 7,
};

}  // namespace yardgate::seal

#endif  // YARDGATE_SEAL_BRIDGE_SEAL_STATE_H_
