// The chat client against a real HTTP server on loopback (fake_provider.h).
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "fake_provider.h"
#include "taskforge/generator/llm_client.h"

using namespace taskforge;
using namespace taskforge::generator;
using taskforge::testing::Answer;
using taskforge::testing::CompletionBody;
using taskforge::testing::ErrorReply;
using taskforge::testing::FakeProvider;
using taskforge::testing::FastRetryConfig;

namespace {

ChatRequest Hello(const std::string& stage = "propose") {
  ChatRequest request;
  request.stage = stage;
  request.messages = {{"system", "You design tasks."}, {"user", "Say hello."}};
  request.temperature = 0.8;
  request.max_tokens = 64;
  request.timeout_s = 5.0;
  return request;
}

std::filesystem::path TempFile(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("taskforge_llm_" + std::to_string(::getpid()) + "_" + name);
}

}  // namespace

TEST_CASE("a successful call sends the provider's wire format and counts tokens") {
  FakeProvider server;
  server.Push({200, CompletionBody({"hello"}, "stop", 12, 3), {}, 0.0});
  LlmClient client(FastRetryConfig(server, 3));
  const ChatResult result = client.Chat(Hello());
  REQUIRE(result.status == ChatStatus::kOk);
  REQUIRE(result.choices == std::vector<std::string>{"hello"});
  REQUIRE(result.usage.prompt_tokens == 12);
  REQUIRE(result.usage.completion_tokens == 3);
  const nlohmann::json sent = server.requests().at(0);
  REQUIRE(sent["model"] == "fixture-model");
  REQUIRE(sent["messages"][1]["content"] == "Say hello.");
  REQUIRE(sent["max_tokens"] == 64);
  REQUIRE(server.authorizations().at(0) == "Bearer test-key");
  REQUIRE(client.usage_by_stage().at("propose").completion_tokens == 3);
  REQUIRE(client.estimated_cost_usd() < 0);  // no prices configured
}

TEST_CASE("a 429 is retried after the server's Retry-After") {
  FakeProvider server;
  server.Push({429, ErrorReply(429, "slow down").body, {{"Retry-After", "0.005"}}, 0.0});
  server.Push(Answer("after the wait"));
  LlmConfig config = FastRetryConfig(server, 3);
  config.prices = {2.5, 10.0};
  LlmClient client(config);
  const ChatResult result = client.Chat(Hello());
  REQUIRE(result.status == ChatStatus::kOk);
  REQUIRE(result.choices.at(0) == "after the wait");
  REQUIRE(result.waits_s == std::vector<double>{0.005});  // the header's value, not the backoff
  REQUIRE(result.usage.attempts == 2);
  REQUIRE(client.estimated_cost_usd() == Approx((100 * 2.5 + 50 * 10.0) / 1e6));
}

TEST_CASE("a Retry-After longer than the cap waits only the cap") {
  FakeProvider server;
  server.Push({503, "busy", {{"Retry-After", "30"}}, 0.0});
  server.Push(Answer("ok"));
  const ChatResult result = LlmClient(FastRetryConfig(server, 3)).Chat(Hello());
  REQUIRE(result.status == ChatStatus::kOk);
  REQUIRE(result.waits_s == std::vector<double>{0.01});
}

TEST_CASE("500s until the attempts run out end as a failed call with backoff waits") {
  FakeProvider server;
  for (int i = 0; i < 3; ++i) server.Push(ErrorReply(500, "internal error " + std::to_string(i)));
  LlmClient client(FastRetryConfig(server, 3));
  const ChatResult result = client.Chat(Hello());
  REQUIRE(result.status == ChatStatus::kFailed);
  REQUIRE(result.usage.attempts == 3);
  REQUIRE(server.requests().size() == 3);
  REQUIRE(result.error.find("HTTP 500") != std::string::npos);
  REQUIRE(result.error.find("internal error 2") != std::string::npos);
  REQUIRE(result.error.find("after 3 attempts") != std::string::npos);
  REQUIRE(result.waits_s.size() == 2);
  for (double w : result.waits_s) REQUIRE((w > 0.0 && w <= 0.004));
  REQUIRE(client.total_usage().calls == 1);
}

TEST_CASE("a request that runs past its timeout is retried") {
  FakeProvider server;
  server.Push({200, CompletionBody({"too late"}), {}, 1.0});
  server.Push(Answer("in time"));
  ChatRequest request = Hello();
  request.timeout_s = 0.2;
  const ChatResult result = LlmClient(FastRetryConfig(server, 3)).Chat(request);
  REQUIRE(result.status == ChatStatus::kOk);
  REQUIRE(result.choices.at(0) == "in time");
  REQUIRE(result.usage.attempts == 2);
}

TEST_CASE("finish_reason length is reported as a truncated answer") {
  FakeProvider server;
  server.Push({200, CompletionBody({"```lua\ntask = {name = 'cut"}, "length"), {}, 0.0});
  const ChatResult result = LlmClient(FastRetryConfig(server, 3)).Chat(Hello());
  REQUIRE(result.status == ChatStatus::kTruncated);
  REQUIRE(result.finish_reason == "length");
  REQUIRE(result.error.find("truncated") != std::string::npos);
  REQUIRE(result.choices.at(0).find("task = ") != std::string::npos);  // the partial text is kept
}

TEST_CASE("a malformed JSON body is a failed call that keeps the raw body") {
  FakeProvider server;
  server.Push({200, "{\"choices\": [ {\"message\": ", {}, 0.0});
  const ChatResult result = LlmClient(FastRetryConfig(server, 3)).Chat(Hello());
  REQUIRE(result.status == ChatStatus::kFailed);
  REQUIRE(result.error.find("malformed response body") != std::string::npos);
  REQUIRE(result.raw_body == "{\"choices\": [ {\"message\": ");
}

TEST_CASE("401 and 403 stop at once, and a missing key stops before any request") {
  FakeProvider server;
  server.Push(ErrorReply(401, "invalid api key"));
  LlmClient client(FastRetryConfig(server, 3));
  REQUIRE_THROWS_AS(client.Chat(Hello()), AuthError);
  REQUIRE(server.requests().size() == 1);  // no retry

  server.Push(ErrorReply(403, "forbidden"));
  REQUIRE_THROWS_WITH(client.Chat(Hello()), Catch::Contains("refused the API key") && Catch::Contains("403"));

  LlmConfig no_key = FastRetryConfig(server, 3);
  no_key.api_key.clear();
  REQUIRE_THROWS_WITH(LlmClient(no_key), Catch::Contains("OPENAI_API_KEY"));
}

TEST_CASE("a recorded session replays with no network, and a changed request is named") {
  const std::filesystem::path log = TempFile("session.jsonl");
  {
    FakeProvider server;
    server.Push(ErrorReply(500, "flaky"));
    server.Push(Answer("first"));
    server.Push(Answer("second"));
    LlmConfig config = FastRetryConfig(server, 3);
    config.record_path = log;
    LlmClient client(config);
    REQUIRE(client.Chat(Hello("propose")).choices.at(0) == "first");
    ChatRequest code = Hello("code");
    code.trial = 1;
    REQUIRE(client.Chat(code).choices.at(0) == "second");
  }
  LlmConfig replay;  // no key and no server: replay needs neither
  replay.model = "fixture-model";
  replay.replay_path = log;
  replay.max_attempts = 3;
  {
    LlmClient client(replay);
    ChatRequest code = Hello("code");
    code.trial = 1;
    REQUIRE(client.Chat(code).choices.at(0) == "second");  // per (trial, stage), any order
    const ChatResult first = client.Chat(Hello("propose"));
    REQUIRE(first.choices.at(0) == "first");
    REQUIRE(first.usage.attempts == 2);  // the recorded 500 is replayed too
    REQUIRE(client.unused_replay_exchanges() == 0);
    REQUIRE_THROWS_WITH(client.Chat(Hello("propose")), Catch::Contains("no recorded exchange left"));
  }
  {
    LlmClient client(replay);
    REQUIRE(client.unused_replay_exchanges() == 3);
    ChatRequest changed = Hello("propose");
    changed.messages[1].content = "Say goodbye.";
    REQUIRE_THROWS_WITH(client.Chat(changed), Catch::Contains(":1 (trial 0, stage 'propose', attempt 1)") &&
                                                  Catch::Contains("request.messages[1].content differs"));
  }
  std::filesystem::remove(log);
}
