#pragma once
// A real HTTP server on loopback that speaks the OpenAI Chat Completions wire format, serving a
// script of replies in order and keeping every request it received. Used by the generator tests.

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "taskforge/generator/llm_client.h"  // before httplib: its <resolv.h> defines _res, which breaks Eigen

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace taskforge::testing {

struct ScriptedReply {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  double delay_s = 0.0;  ///< [s] sleep before answering (to provoke client timeouts)
  /// Rewrites the body's usage as a provider would count it, estimated at 4 characters a token.
  bool estimate_usage = false;
};

/// A chat.completion body as providers send it, with `contents` as the choices.
inline std::string CompletionBody(const std::vector<std::string>& contents, const std::string& finish_reason = "stop",
                                  int prompt_tokens = 100, int completion_tokens = 50) {
  nlohmann::json choices = nlohmann::json::array();
  for (size_t i = 0; i < contents.size(); ++i) {
    choices.push_back({{"index", i},
                       {"message", {{"role", "assistant"}, {"content", contents[i]}}},
                       {"logprobs", nullptr},
                       {"finish_reason", finish_reason}});
  }
  return nlohmann::json{{"id", "chatcmpl-fixture"},
                        {"object", "chat.completion"},
                        {"created", 1764316800},
                        {"model", "fixture-model"},
                        {"choices", choices},
                        {"usage",
                         {{"prompt_tokens", prompt_tokens},
                          {"completion_tokens", completion_tokens},
                          {"total_tokens", prompt_tokens + completion_tokens}}}}
      .dump();
}

inline ScriptedReply Answer(const std::string& content) { return {200, CompletionBody({content}), {}, 0.0}; }

inline ScriptedReply ErrorReply(int status, const std::string& message) {
  return {status, nlohmann::json{{"error", {{"message", message}, {"type", "fixture_error"}}}}.dump(), {}, 0.0};
}

inline std::string WithEstimatedUsage(const std::string& reply_body, const std::string& request_body) {
  nlohmann::json reply = nlohmann::json::parse(reply_body);
  const nlohmann::json request = nlohmann::json::parse(request_body);
  size_t prompt_chars = 0, completion_chars = 0;
  for (const auto& m : request["messages"]) prompt_chars += m["content"].get<std::string>().size();
  for (const auto& c : reply["choices"]) completion_chars += c["message"]["content"].get<std::string>().size();
  const int prompt = int(prompt_chars / 4), completion = int(completion_chars / 4);
  reply["usage"] = {{"prompt_tokens", prompt}, {"completion_tokens", completion}, {"total_tokens", prompt + completion}};
  return reply.dump();
}

class FakeProvider {
 public:
  FakeProvider() {
    server_.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      ScriptedReply reply;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        requests_.push_back(nlohmann::json::parse(req.body, nullptr, false));
        authorizations_.push_back(req.get_header_value("Authorization"));
        if (replies_.empty()) {
          reply = ErrorReply(500, "the test scripted no reply for this request");
        } else {
          reply = replies_.front();
          replies_.pop_front();
        }
      }
      if (reply.estimate_usage) reply.body = WithEstimatedUsage(reply.body, req.body);
      if (reply.delay_s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(reply.delay_s));
      res.status = reply.status;
      for (const auto& [k, v] : reply.headers) res.set_header(k, v);
      res.set_content(reply.body, "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeProvider() {
    server_.stop();
    thread_.join();
  }

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  void Push(ScriptedReply reply) {
    std::lock_guard<std::mutex> lock(mutex_);
    replies_.push_back(std::move(reply));
  }
  std::vector<nlohmann::json> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  std::vector<std::string> authorizations() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return authorizations_;
  }
  size_t pending() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return replies_.size();
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::deque<ScriptedReply> replies_;
  std::vector<nlohmann::json> requests_;
  std::vector<std::string> authorizations_;
};

/// A client configuration for `server` with retry waits kept tiny, so tests never sleep.
inline generator::LlmConfig FastRetryConfig(const FakeProvider& server, int max_attempts) {
  generator::LlmConfig config;
  config.base_url = server.base_url();
  config.api_key = "test-key";
  config.model = "fixture-model";
  config.max_attempts = max_attempts;
  config.backoff_initial_s = 0.001;
  config.backoff_max_s = 0.004;
  config.max_retry_after_s = 0.01;
  return config;
}

}  // namespace taskforge::testing
