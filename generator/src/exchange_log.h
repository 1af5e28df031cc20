#pragma once
// Record/replay of chat exchanges as JSONL, one HTTP attempt per line (format: docs/generator.md):
//   {"trial": 0, "stage": "code", "attempt": 1, "request": {...the body sent...},
//    "response": {"status": 200, "body": "...", "retry_after_s": null, "timed_out": false,
//                 "transport_error": ""}}
// Replay serves each (trial, stage) its recorded attempts in file order, so a run with several
// concurrent trials replays exactly; a request that differs from the recording is an error
// naming the line, the trial, the stage and the first differing field.

#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "http_transport.h"
#include "taskforge/generator/llm_client.h"

namespace taskforge::generator {

class ExchangeRecorder {
 public:
  /// Truncates the file. @throws Error when it cannot be written.
  explicit ExchangeRecorder(const std::filesystem::path& path);
  void Write(int trial, const std::string& stage, int attempt, const nlohmann::json& request, const HttpOutcome& outcome);

 private:
  std::filesystem::path path_;
  std::ofstream out_;
  std::mutex mutex_;
};

class ExchangeReplayer {
 public:
  /// @throws Error for an unreadable file or a malformed line (naming the line).
  explicit ExchangeReplayer(const std::filesystem::path& path);
  /// The recorded outcome of the next attempt of (trial, stage). @throws Error on a mismatch.
  HttpOutcome Next(int trial, const std::string& stage, const nlohmann::json& request);
  const RecordedSession& summary() const { return summary_; }
  /// Recorded exchanges not served yet.
  int unused();

 private:
  struct Entry {
    int line = 0;
    int attempt = 0;
    nlohmann::json request;
    HttpOutcome outcome;
  };
  std::filesystem::path path_;
  RecordedSession summary_;
  std::map<std::pair<int, std::string>, std::deque<Entry>> queues_;
  std::mutex mutex_;
};

/// "messages[2].content: recorded '...' but now '...'" for the first difference, "" when equal.
std::string FirstDifference(const nlohmann::json& recorded, const nlohmann::json& now, const std::string& path = "");

}  // namespace taskforge::generator
