// A fresh directory under the system temp dir, removed with everything in it when the object
// goes. Test-only.
#ifndef YARDGATE_TESTS_TEMP_DIR_H_
#define YARDGATE_TESTS_TEMP_DIR_H_

#include <string>

namespace yardgate::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace yardgate::testing

#endif  // YARDGATE_TESTS_TEMP_DIR_H_
