#pragma once
// A client for OpenAI-compatible Chat Completions APIs (hosted providers, vLLM, llama.cpp server,
// Ollama): retries with backoff, token accounting per stage, and record/replay of every exchange
// (docs/generator.md describes the JSONL format). libcurl and JSON stay private.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "taskforge/core/error.h"

namespace taskforge::generator {

/// Prices in US dollars per million tokens; 0 means "not configured" (no cost estimate).
struct TokenPrices {
  double prompt_usd_per_mtok = 0.0;
  double completion_usd_per_mtok = 0.0;
  bool configured() const { return prompt_usd_per_mtok > 0.0 || completion_usd_per_mtok > 0.0; }
};

struct LlmConfig {
  std::string base_url = "https://api.openai.com/v1";  ///< $OPENAI_BASE_URL; "/chat/completions" is appended
  std::string api_key;                                 ///< $OPENAI_API_KEY; required unless replaying
  std::string model = "gpt-4o";                        ///< $TASKFORGE_MODEL
  int max_attempts = 6;            ///< HTTP attempts per chat call (1 = no retry)
  double backoff_initial_s = 1.0;  ///< [s] first backoff; doubles per retry, with jitter in [0.5, 1]
  double backoff_max_s = 30.0;     ///< [s] cap on one backoff
  double max_retry_after_s = 120.0;  ///< [s] cap on a server's Retry-After (tests make it tiny)
  double connect_timeout_s = 10.0;   ///< [s] TCP/TLS connect; the whole call uses the stage timeout
  uint64_t jitter_seed = 1;          ///< seeds the backoff jitter
  TokenPrices prices;                ///< $TASKFORGE_PRICE_PROMPT, $TASKFORGE_PRICE_COMPLETION
  std::filesystem::path record_path;  ///< non-empty: append every exchange to this JSONL file
  std::filesystem::path replay_path;  ///< non-empty: serve exchanges from this JSONL file, no network
};

/// Defaults overridden by OPENAI_API_KEY, OPENAI_BASE_URL, TASKFORGE_MODEL,
/// TASKFORGE_PRICE_PROMPT and TASKFORGE_PRICE_COMPLETION where set.
/// @throws Error for a price that is not a number.
LlmConfig LlmConfigFromEnvironment();

/// What a recorded session holds: the trials it covers and the model it was recorded with.
struct RecordedSession {
  int trials = 0;  ///< highest trial number + 1
  std::string model;
};
/// @throws Error for an unreadable file or a malformed line.
RecordedSession DescribeRecording(const std::filesystem::path& jsonl);

struct ChatMessage {
  std::string role;  ///< "system", "user" or "assistant"
  std::string content;
};

struct ChatRequest {
  std::string stage;   ///< accounting and record/replay label, e.g. "propose", "code", "reflect"
  int trial = 0;       ///< which trial asks; replay matches exchanges per (trial, stage)
  std::vector<ChatMessage> messages;
  double temperature = 0.0;
  int max_tokens = 2048;
  double timeout_s = 120.0;  ///< [s] whole request, per attempt
  int n = 1;                 ///< number of choices (reflection samples)
};

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t calls = 0;     ///< chat calls (not HTTP attempts)
  int64_t attempts = 0;  ///< HTTP attempts, retries included
  Usage& operator+=(const Usage& other);
};

enum class ChatStatus {
  kOk,
  kTruncated,  ///< finish_reason "length": the answer was cut at max_tokens
  kFailed,     ///< retries exhausted, malformed response, or a non-retryable HTTP error
};
const char* ChatStatusName(ChatStatus status);

struct ChatResult {
  ChatStatus status = ChatStatus::kFailed;
  std::vector<std::string> choices;  ///< one content string per choice
  std::string finish_reason;         ///< of the first choice that was not "stop", else "stop"
  Usage usage;
  std::vector<double> waits_s;  ///< [s] the wait planned before each retry (Retry-After or backoff)
  std::string error;            ///< kFailed/kTruncated: what went wrong, e.g. "HTTP 500 after 6 attempts: ..."
  std::string raw_body;         ///< the last response body, kept for inspection
};

/// 401/403, or no API key when one is needed: the run must stop at once.
class AuthError : public Error {
 public:
  using Error::Error;
};

class LlmClient {
 public:
  /// @throws AuthError without an API key (unless replaying), Error for unreadable replay files.
  explicit LlmClient(LlmConfig config);
  ~LlmClient();
  LlmClient(const LlmClient&) = delete;
  LlmClient& operator=(const LlmClient&) = delete;

  /// One chat call with retries; safe to call from several threads. Transport failures and bad
  /// answers come back as kFailed. @throws AuthError on 401/403, Error when a replayed request
  /// does not match the recording (naming the exchange).
  ChatResult Chat(const ChatRequest& request);

  const LlmConfig& config() const;
  /// Replay only: recorded exchanges no request asked for (the run did less than the recording).
  int unused_replay_exchanges() const;
  Usage total_usage() const;
  std::map<std::string, Usage> usage_by_stage() const;
  /// Estimated cost in US dollars, or a negative number when no prices are configured.
  double estimated_cost_usd() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace taskforge::generator
