#include "ocr/dev_set.h"

#include <fstream>
#include <sstream>

namespace yardgate::ocr {

std::vector<DevSetItem> ReadDevSetManifest(const std::filesystem::path& dir) {
  std::vector<DevSetItem> out;
  std::ifstream in(dir / "manifest.tsv");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    DevSetItem item;
    std::getline(fields, item.file, '\t');
    std::getline(fields, item.truth, '\t');
    if (!item.file.empty() && !item.truth.empty()) out.push_back(std::move(item));
  }
  return out;
}

std::string ReadFileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string DevSetVisit(const std::string& file) {
  const size_t a = file.find('-');
  const size_t b = a == std::string::npos ? a : file.find('-', a + 1);
  if (b == std::string::npos) return file;
  return file.substr(a + 1, b - a - 1);
}

}  // namespace yardgate::ocr
