// jt808_fuzz_seeds TSV OUT_DIR: writes the seed corpora of the JT/T 808 fuzz targets from
// the dev vectors (shared/protocols/jt808-dev-vectors.tsv): OUT_DIR/jt808_frame_fuzzer/ gets
// each frame as wire bytes, OUT_DIR/jt808_message_fuzzer/ each 7E frame un-escaped without
// its check byte. Rows that are not 7E frames (JT600, eSeal text) seed the frame target only.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "seal_bridge/jt808_frame.h"

namespace {

void Write(const std::filesystem::path& dir, int row, const yardgate::seal::Bytes& bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream out(dir / ("vector-" + std::to_string(row)), std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace yardgate::seal;
  if (argc != 3) {
    std::fprintf(stderr, "usage: jt808_fuzz_seeds TSV OUT_DIR\n");
    return 2;
  }
  std::ifstream in(argv[1]);
  const std::filesystem::path out(argv[2]);
  std::string line;
  int row = 0, written = 0;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    ++row;
    std::vector<std::string> cols = absl::StrSplit(line, '\t');
    if (cols.size() < 2) continue;
    absl::StatusOr<Bytes> bytes = ParseHex(cols[1]);
    if (!bytes.ok() || bytes->empty()) continue;
    // The frame target's first byte picks its read size; 0x3f: reads of 64 bytes.
    Bytes stream = {0x3f};
    const bool flagged = bytes->front() == kJt808Flag && bytes->back() == kJt808Flag && bytes->size() > 2;
    if (!flagged && bytes->front() != '(' && bytes->front() != '$' && bytes->front() != '#') {
      // A Traccar row stored un-escaped without flags: put it on the wire.
      stream.push_back(kJt808Flag);
      Bytes e = Escape(*bytes);
      stream.insert(stream.end(), e.begin(), e.end());
      stream.push_back(kJt808Flag);
    } else {
      stream.insert(stream.end(), bytes->begin(), bytes->end());
    }
    Write(out / "jt808_frame_fuzzer", row, stream);
    ++written;
    absl::StatusOr<Bytes> raw =
        flagged ? Unescape(ByteSpan(*bytes).subspan(1, bytes->size() - 2)) : absl::StatusOr<Bytes>(*bytes);
    if (raw.ok() && raw->size() >= 13 && bytes->front() != '(') {
      raw->pop_back();  // the check byte: the message target appends the right one
      Write(out / "jt808_message_fuzzer", row, *raw);
    }
  }
  std::printf("jt808_fuzz_seeds: %d vectors written under %s\n", written, argv[2]);
  return written > 0 ? 0 : 1;
}
