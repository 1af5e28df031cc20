// libcurl behind PostJson. curl_global_init runs once, before any thread uses curl.
#include "http_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <mutex>

namespace taskforge::generator {
namespace {

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t AppendBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// Picks Retry-After (delta-seconds; fractional values are accepted for local servers) out of the
// header lines. HTTP-date forms are ignored: the caller falls back to its own backoff.
size_t ReadHeader(char* data, size_t size, size_t count, void* out) {
  std::string line(data, size * count);
  const std::string key = "retry-after:";
  if (line.size() > key.size()) {
    std::string head = line.substr(0, key.size());
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
    if (head == key) {
      const char* value = line.c_str() + key.size();
      char* end = nullptr;
      const double seconds = std::strtod(value, &end);
      if (end != value && seconds >= 0.0) *static_cast<std::optional<double>*>(out) = seconds;
    }
  }
  return size * count;
}

}  // namespace

HttpOutcome PostJson(const std::string& url, const std::vector<std::string>& headers, const std::string& body,
                     double timeout_s, double connect_timeout_s) {
  InitCurlOnce();
  HttpOutcome outcome;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) {
    outcome.transport_error = "curl_easy_init failed";
    return outcome;
  }
  curl_slist* header_list = nullptr;
  for (const std::string& h : headers) header_list = curl_slist_append(header_list, h.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_guard(header_list, &curl_slist_free_all);

  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_s * 1000.0));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout_s * 1000.0));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &outcome.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &ReadHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &outcome.retry_after_s);

  const CURLcode code = curl_easy_perform(c);
  if (code != CURLE_OK) {
    outcome.timed_out = code == CURLE_OPERATION_TIMEDOUT;
    outcome.transport_error = curl_easy_strerror(code);
    outcome.body.clear();
    return outcome;
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  outcome.status = static_cast<int>(status);
  return outcome;
}

}  // namespace taskforge::generator
