// The contract every Store backend keeps, as one parameterised test suite. A backend's test
// instantiates it with a factory that opens the backend on the same location each time it is
// called, so that reopening is a restart:
//
//   INSTANTIATE_TEST_SUITE_P(Memory, StoreConformanceTest, ::testing::Values(StoreBackend{
//       "memory", [disk = std::make_shared<MemoryDisk>()] { return std::make_unique<MemoryStore>(disk); }}));
//
// Test-only code: compiled into each backend's test, never into the server.
#ifndef YARDGATE_GATE_STORE_CONFORMANCE_H_
#define YARDGATE_GATE_STORE_CONFORMANCE_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "gate/store.h"

namespace yardgate::gate {

struct StoreBackend {
  std::string name;
  // Opens the backend at its one location (a fresh location per StoreBackend value's test run:
  // the factory is called again by each test through `fresh`).
  std::function<std::function<std::unique_ptr<Store>()>()> fresh;
};

inline std::ostream& operator<<(std::ostream& os, const StoreBackend& b) { return os << b.name; }

class StoreConformanceTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    open_ = GetParam().fresh();
    store_ = open_();
  }
  void Reopen() {
    store_->Close();
    store_.reset();
    store_ = open_();
  }

  std::function<std::unique_ptr<Store>()> open_;
  std::unique_ptr<Store> store_;
};

}  // namespace yardgate::gate

#endif  // YARDGATE_GATE_STORE_CONFORMANCE_H_
