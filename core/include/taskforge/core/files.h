#pragma once
// Whole-file text reads with an error that names the file, and atomic writes: what every part
// of taskforge that reads a script, template or catalogue, or writes a record, needs.

#include <filesystem>
#include <string>
#include <string_view>

namespace taskforge {

/// The whole file as bytes. @throws Error "cannot read <what> <path>" when it can't be opened.
std::string ReadTextFile(const std::filesystem::path& path, std::string_view what = "file");

/// Writes PATH.tmp-PID, flushes it to disk and renames it over `path`, so a reader (or a process
/// killed mid-write) sees the old file or the whole new one, never part of it.
/// @throws Error naming the file.
void WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace taskforge
