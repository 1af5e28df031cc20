#pragma once
// Little-endian integers in byte buffers, CRC-32, whole/partial file reads and atomic writes.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "taskforge/core/files.h"

namespace taskforge::dataset {

using Bytes = std::vector<uint8_t>;

/// CRC-32 (IEEE 802.3, reflected, as zlib's crc32), continuing from `crc` (0 to start).
uint32_t Crc32(const uint8_t* data, size_t size, uint32_t crc = 0);
inline uint32_t Crc32(const Bytes& bytes) { return Crc32(bytes.data(), bytes.size()); }

void PutU32(Bytes& out, uint32_t value);
void PutU64(Bytes& out, uint64_t value);
void PutU32At(Bytes& out, size_t at, uint32_t value);
void PutU64At(Bytes& out, size_t at, uint64_t value);
uint32_t GetU32(const uint8_t* at);
uint64_t GetU64(const uint8_t* at);

/// The whole file. @throws Error naming it if it can't be read.
Bytes ReadFileBytes(const std::filesystem::path& path);
/// `size` bytes at `offset`. @throws Error naming the file if fewer are there (truncated).
Bytes ReadFileRange(const std::filesystem::path& path, uint64_t offset, uint64_t size);
using taskforge::WriteFileAtomically;
/// core's WriteFileAtomically for a byte buffer.
inline void WriteFileAtomically(const std::filesystem::path& path, const Bytes& bytes) {
  taskforge::WriteFileAtomically(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace taskforge::dataset
