// Chat calls with retries, accounting and record/replay (see llm_client.h).
#include "taskforge/generator/llm_client.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "exchange_log.h"
#include "http_transport.h"

namespace taskforge::generator {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

double PriceFromEnv(const char* name, double fallback) {
  const std::string text = Env(name);
  if (text.empty()) return fallback;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  TF_THROW_UNLESS(end && *end == '\0' && value >= 0.0, "$", name, " = '", text,
                  "' is not a price in US dollars per million tokens");
  return value;
}

nlohmann::json RequestBody(const std::string& model, const ChatRequest& request) {
  nlohmann::json messages = nlohmann::json::array();
  for (const ChatMessage& m : request.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
  nlohmann::json body = {{"model", model},
                         {"messages", messages},
                         {"temperature", request.temperature},
                         {"max_tokens", request.max_tokens}};
  if (request.n != 1) body["n"] = request.n;
  return body;
}

bool Retryable(const HttpOutcome& outcome) {
  if (outcome.status == 0) return true;  // timeout or connection trouble
  return outcome.status == 408 || outcome.status == 409 || outcome.status == 429 || outcome.status >= 500;
}

std::string Describe(const HttpOutcome& outcome) {
  if (outcome.status == 0) return outcome.timed_out ? "timeout (" + outcome.transport_error + ")" : outcome.transport_error;
  std::string text = "HTTP " + std::to_string(outcome.status);
  if (!outcome.body.empty()) text += ": " + outcome.body.substr(0, 300);
  return text;
}

// Reads a 200 response body into `result`; a body that is not a chat completion makes it kFailed.
void ParseCompletion(const std::string& body, ChatResult& result) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("choices") || !j["choices"].is_array() ||
      j["choices"].empty()) {
    result.status = ChatStatus::kFailed;
    result.error = "malformed response body (not a chat completion with choices): " + body.substr(0, 200);
    return;
  }
  result.finish_reason = "stop";
  for (const nlohmann::json& choice : j["choices"]) {
    const nlohmann::json* message = choice.contains("message") ? &choice["message"] : nullptr;
    if (!message || !message->is_object() || !message->contains("content") || !(*message)["content"].is_string()) {
      result.status = ChatStatus::kFailed;
      result.error = "malformed response body: a choice has no message.content string";
      return;
    }
    result.choices.push_back((*message)["content"].get<std::string>());
    const std::string reason = choice.value("finish_reason", "stop");
    if (reason != "stop" && result.finish_reason == "stop") result.finish_reason = reason;
  }
  if (j.contains("usage") && j["usage"].is_object()) {
    result.usage.prompt_tokens = j["usage"].value("prompt_tokens", int64_t{0});
    result.usage.completion_tokens = j["usage"].value("completion_tokens", int64_t{0});
  }
  if (result.finish_reason == "length") {
    result.status = ChatStatus::kTruncated;
    result.error = "the answer was truncated at max_tokens (finish_reason \"length\")";
  } else {
    result.status = ChatStatus::kOk;
  }
}

}  // namespace

Usage& Usage::operator+=(const Usage& other) {
  prompt_tokens += other.prompt_tokens;
  completion_tokens += other.completion_tokens;
  calls += other.calls;
  attempts += other.attempts;
  return *this;
}

const char* ChatStatusName(ChatStatus status) {
  switch (status) {
    case ChatStatus::kOk: return "ok";
    case ChatStatus::kTruncated: return "truncated";
    case ChatStatus::kFailed: return "failed";
  }
  return "?";
}

LlmConfig LlmConfigFromEnvironment() {
  LlmConfig config;
  if (!Env("OPENAI_API_KEY").empty()) config.api_key = Env("OPENAI_API_KEY");
  if (!Env("OPENAI_BASE_URL").empty()) config.base_url = Env("OPENAI_BASE_URL");
  if (!Env("TASKFORGE_MODEL").empty()) config.model = Env("TASKFORGE_MODEL");
  config.prices.prompt_usd_per_mtok = PriceFromEnv("TASKFORGE_PRICE_PROMPT", 0.0);
  config.prices.completion_usd_per_mtok = PriceFromEnv("TASKFORGE_PRICE_COMPLETION", 0.0);
  return config;
}

struct LlmClient::Impl {
  LlmConfig config;
  std::string url;
  std::optional<ExchangeRecorder> recorder;
  std::optional<ExchangeReplayer> replayer;
  mutable std::mutex mutex;  // guards everything below
  std::mt19937_64 jitter;
  Usage total;
  std::map<std::string, Usage> by_stage;

  double Backoff(int retry) {
    const double base = std::min(config.backoff_max_s, config.backoff_initial_s * std::pow(2.0, retry));
    std::lock_guard<std::mutex> lock(mutex);
    return base * std::uniform_real_distribution<double>(0.5, 1.0)(jitter);
  }

  HttpOutcome Attempt(const ChatRequest& request, const nlohmann::json& body, int attempt) {
    if (replayer) return replayer->Next(request.trial, request.stage, body);
    std::vector<std::string> headers = {"Content-Type: application/json", "Authorization: Bearer " + config.api_key};
    HttpOutcome outcome = PostJson(url, headers, body.dump(), request.timeout_s, config.connect_timeout_s);
    if (recorder) recorder->Write(request.trial, request.stage, attempt, body, outcome);
    return outcome;
  }
};

LlmClient::LlmClient(LlmConfig config) : impl_(std::make_unique<Impl>()) {
  TF_THROW_UNLESS(config.record_path.empty() || config.replay_path.empty(), "--record and --replay exclude each other");
  TF_THROW_UNLESS(config.max_attempts >= 1, "LlmConfig.max_attempts must be at least 1, got ", config.max_attempts);
  if (config.replay_path.empty() && config.api_key.empty()) {
    throw AuthError(
        "no API key: set OPENAI_API_KEY (any non-empty value for a local server that ignores it), or replay a "
        "recorded session with --replay FILE");
  }
  impl_->config = config;
  std::string base = config.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  impl_->url = base + "/chat/completions";
  impl_->jitter.seed(config.jitter_seed);
  if (!config.replay_path.empty()) impl_->replayer.emplace(config.replay_path);
  if (!config.record_path.empty()) impl_->recorder.emplace(config.record_path);
}

LlmClient::~LlmClient() = default;

ChatResult LlmClient::Chat(const ChatRequest& request) {
  Impl& s = *impl_;
  const nlohmann::json body = RequestBody(s.config.model, request);
  ChatResult result;
  result.usage.calls = 1;
  for (int attempt = 1;; ++attempt) {
    HttpOutcome outcome = s.Attempt(request, body, attempt);
    result.usage.attempts = attempt;
    result.raw_body = outcome.body;
    if (outcome.status == 401 || outcome.status == 403) {
      throw AuthError("the provider at " + s.url + " refused the API key (" + Describe(outcome) +
                      "); check OPENAI_API_KEY and OPENAI_BASE_URL");
    }
    if (outcome.status >= 200 && outcome.status < 300) {
      ParseCompletion(outcome.body, result);
      break;
    }
    result.error = Describe(outcome);
    if (!Retryable(outcome) || attempt >= s.config.max_attempts) {
      result.status = ChatStatus::kFailed;
      if (Retryable(outcome)) result.error += " (gave up after " + std::to_string(attempt) + " attempts)";
      break;
    }
    const double wait = outcome.retry_after_s ? std::min(*outcome.retry_after_s, s.config.max_retry_after_s)
                                              : s.Backoff(attempt - 1);
    result.waits_s.push_back(wait);
    if (!s.replayer) std::this_thread::sleep_for(std::chrono::duration<double>(wait));
  }
  std::lock_guard<std::mutex> lock(s.mutex);
  s.total += result.usage;
  s.by_stage[request.stage] += result.usage;
  return result;
}

const LlmConfig& LlmClient::config() const { return impl_->config; }

int LlmClient::unused_replay_exchanges() const { return impl_->replayer ? impl_->replayer->unused() : 0; }

Usage LlmClient::total_usage() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->total;
}

std::map<std::string, Usage> LlmClient::usage_by_stage() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->by_stage;
}

double LlmClient::estimated_cost_usd() const {
  const TokenPrices& p = impl_->config.prices;
  if (!p.configured()) return -1.0;
  const Usage u = total_usage();
  return (u.prompt_tokens * p.prompt_usd_per_mtok + u.completion_tokens * p.completion_usd_per_mtok) / 1e6;
}

}  // namespace taskforge::generator
