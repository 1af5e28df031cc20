#include "binary_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "taskforge/core/error.h"

namespace taskforge::dataset {
namespace {

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t n = 0; n < 256; ++n) {
    uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  return table;
}

}  // namespace

uint32_t Crc32(const uint8_t* data, size_t size, uint32_t crc) {
  static const std::array<uint32_t, 256> table = MakeCrcTable();
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

void PutU32(Bytes& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(value >> (8 * i)));
}
void PutU64(Bytes& out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(uint8_t(value >> (8 * i)));
}
void PutU32At(Bytes& out, size_t at, uint32_t value) {
  for (int i = 0; i < 4; ++i) out[at + i] = uint8_t(value >> (8 * i));
}
void PutU64At(Bytes& out, size_t at, uint64_t value) {
  for (int i = 0; i < 8; ++i) out[at + i] = uint8_t(value >> (8 * i));
}
uint32_t GetU32(const uint8_t* at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | at[i];
  return v;
}
uint64_t GetU64(const uint8_t* at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | at[i];
  return v;
}

Bytes ReadFileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  TF_THROW_UNLESS(in.good(), "cannot read ", path.string());
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0);
  Bytes bytes(size_t(std::max<std::streamoff>(size, 0)));
  in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(bytes.size()));
  TF_THROW_UNLESS(in.good() || bytes.empty(), "cannot read ", path.string());
  return bytes;
}

Bytes ReadFileRange(const std::filesystem::path& path, uint64_t offset, uint64_t size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  TF_THROW_UNLESS(fd >= 0, "cannot open ", path.string(), ": ", std::strerror(errno));
  Bytes bytes(size);
  uint64_t got = 0;
  while (got < size) {
    const ssize_t n = ::pread(fd, bytes.data() + got, size - got, off_t(offset + got));
    if (n <= 0) break;
    got += uint64_t(n);
  }
  ::close(fd);
  TF_THROW_UNLESS(got == size, path.string(), " is truncated: wanted ", size, " bytes at offset ", offset,
                  ", got ", got);
  return bytes;
}

}  // namespace taskforge::dataset
