#pragma once
// The episode file's byte layout (docs/dataset.md): header with the frame table, labels as JSON,
// one zstd frame per step, trailer. Encoding is deterministic: the same episode gives the same bytes.

#include <string>
#include <vector>

#include "binary_io.h"
#include "taskforge/dataset/dataset.h"

namespace taskforge::dataset {

/// The file's bytes and where its parts are (IndexEntry's extents and checksum, no id/file yet).
struct EncodedEpisode {
  Bytes bytes;
  IndexEntry entry;
};
EncodedEpisode EncodeEpisode(const EpisodeInfo& info, const std::vector<Frame>& frames, bool raw,
                             int compression_level);

/// Parses and checks a whole episode file: header CRC, trailer (size, CRC), every frame's CRC and
/// zstd frame. @throws Error naming `name` and what is wrong.
IndexEntry CheckEpisodeFile(const Bytes& bytes, const std::string& name);

/// The labels from the meta JSON. @throws Error naming `name` if the JSON is malformed.
EpisodeInfo ParseEpisodeInfo(const Bytes& meta, const std::string& name);
/// One compressed frame back to pictures; checks its CRC, zstd checksum and size.
Frame DecodeFrame(const Bytes& compressed, const Extent& extent, const EpisodeInfo& info, bool raw,
                  const std::string& where);

}  // namespace taskforge::dataset
