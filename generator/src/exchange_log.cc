#include "exchange_log.h"

#include "taskforge/core/error.h"

namespace taskforge::generator {
namespace {

// A short excerpt of a long value around where it starts to differ.
std::string Excerpt(const std::string& text, size_t at) {
  const size_t begin = at > 40 ? at - 40 : 0;
  std::string out = text.substr(begin, 100);
  return (begin > 0 ? "..." : "") + out + (begin + 100 < text.size() ? "..." : "");
}

}  // namespace

std::string FirstDifference(const nlohmann::json& recorded, const nlohmann::json& now, const std::string& path) {
  const std::string where = path.empty() ? "request" : path;
  if (recorded.is_number() && now.is_number()) {  // 64 parsed back is unsigned, 64 built is signed
    if (recorded.get<double>() == now.get<double>()) return "";
    return where + ": recorded " + recorded.dump() + " but now " + now.dump();
  }
  if (recorded.type() != now.type()) return where + ": recorded " + recorded.dump() + " but now " + now.dump();
  if (recorded.is_object()) {
    for (const auto& [key, value] : recorded.items()) {
      if (!now.contains(key)) return where + "." + key + ": recorded but now missing";
      std::string diff = FirstDifference(value, now.at(key), where + "." + key);
      if (!diff.empty()) return diff;
    }
    for (const auto& [key, value] : now.items()) {
      if (!recorded.contains(key)) return where + "." + key + ": not in the recording";
    }
    return "";
  }
  if (recorded.is_array()) {
    for (size_t i = 0; i < std::min(recorded.size(), now.size()); ++i) {
      std::string diff = FirstDifference(recorded[i], now[i], where + "[" + std::to_string(i) + "]");
      if (!diff.empty()) return diff;
    }
    if (recorded.size() != now.size()) {
      return where + ": recorded " + std::to_string(recorded.size()) + " entries but now " + std::to_string(now.size());
    }
    return "";
  }
  if (recorded.is_string()) {
    const std::string& a = recorded.get_ref<const std::string&>();
    const std::string& b = now.get_ref<const std::string&>();
    if (a == b) return "";
    size_t at = 0;
    while (at < a.size() && at < b.size() && a[at] == b[at]) ++at;
    return where + " differs at character " + std::to_string(at) + ": recorded '" + Excerpt(a, at) + "' but now '" +
           Excerpt(b, at) + "'";
  }
  return recorded == now ? "" : where + ": recorded " + recorded.dump() + " but now " + now.dump();
}

ExchangeRecorder::ExchangeRecorder(const std::filesystem::path& path) : path_(path), out_(path, std::ios::trunc) {
  TF_THROW_UNLESS(out_.good(), "--record: cannot write ", path.string());
}

void ExchangeRecorder::Write(int trial, const std::string& stage, int attempt, const nlohmann::json& request,
                             const HttpOutcome& outcome) {
  nlohmann::json response = {{"status", outcome.status},
                             {"body", outcome.body},
                             {"retry_after_s", outcome.retry_after_s ? nlohmann::json(*outcome.retry_after_s) : nullptr},
                             {"timed_out", outcome.timed_out},
                             {"transport_error", outcome.transport_error}};
  nlohmann::json line = {{"trial", trial}, {"stage", stage}, {"attempt", attempt}, {"request", request},
                         {"response", response}};
  std::lock_guard<std::mutex> lock(mutex_);
  out_ << line.dump() << '\n';
  out_.flush();  // a run that dies still leaves every exchange so far
  TF_THROW_UNLESS(out_.good(), "--record: writing ", path_.string(), " failed");
}

ExchangeReplayer::ExchangeReplayer(const std::filesystem::path& path) : path_(path) {
  std::ifstream in(path);
  TF_THROW_UNLESS(in.good(), "--replay: cannot read ", path.string());
  std::string text;
  int line_number = 0;
  while (std::getline(in, text)) {
    ++line_number;
    if (text.empty()) continue;
    const std::string where = path.string() + ":" + std::to_string(line_number);
    nlohmann::json line = nlohmann::json::parse(text, nullptr, false);
    TF_THROW_UNLESS(!line.is_discarded() && line.is_object(), "--replay: ", where, " is not a JSON object");
    try {
      Entry entry;
      entry.line = line_number;
      entry.attempt = line.at("attempt").get<int>();
      entry.request = line.at("request");
      const nlohmann::json& response = line.at("response");
      entry.outcome.status = response.at("status").get<int>();
      entry.outcome.body = response.at("body").get<std::string>();
      entry.outcome.timed_out = response.value("timed_out", false);
      entry.outcome.transport_error = response.value("transport_error", "");
      if (response.contains("retry_after_s") && response["retry_after_s"].is_number()) {
        entry.outcome.retry_after_s = response["retry_after_s"].get<double>();
      }
      const int trial = line.at("trial").get<int>();
      summary_.trials = std::max(summary_.trials, trial + 1);
      if (summary_.model.empty()) summary_.model = entry.request.value("model", "");
      queues_[{trial, line.at("stage").get<std::string>()}].push_back(std::move(entry));
    } catch (const nlohmann::json::exception& e) {
      TF_THROW_UNLESS(false, "--replay: ", where, ": ", e.what());
    }
  }
}

HttpOutcome ExchangeReplayer::Next(int trial, const std::string& stage, const nlohmann::json& request) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = queues_.find({trial, stage});
  TF_THROW_UNLESS(it != queues_.end() && !it->second.empty(), "--replay ", path_.string(),
                  ": no recorded exchange left for trial ", trial, " stage '", stage,
                  "' (the run asks for more than was recorded; was it recorded with other flags or library?)");
  Entry entry = std::move(it->second.front());
  it->second.pop_front();
  const std::string diff = FirstDifference(entry.request, request);
  TF_THROW_UNLESS(diff.empty(), "--replay ", path_.string(), ":", entry.line, " (trial ", trial, ", stage '", stage,
                  "', attempt ", entry.attempt, "): the request differs from the recording: ", diff);
  return entry.outcome;
}

int ExchangeReplayer::unused() {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t count = 0;
  for (const auto& [key, queue] : queues_) count += queue.size();
  return static_cast<int>(count);
}

RecordedSession DescribeRecording(const std::filesystem::path& jsonl) { return ExchangeReplayer(jsonl).summary(); }

}  // namespace taskforge::generator
