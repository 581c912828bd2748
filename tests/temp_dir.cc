#include "tests/temp_dir.h"

#include <unistd.h>

#include <filesystem>
#include <random>

namespace yardgate::testing {

TempDir::TempDir() {
  std::random_device rd;
  path_ = (std::filesystem::temp_directory_path() /
           ("yardgate-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd())))
              .string();
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace yardgate::testing
