#pragma once
// One HTTP POST with libcurl: the raw outcome, never an exception for network trouble.

#include <optional>
#include <string>
#include <vector>

namespace taskforge::generator {

struct HttpOutcome {
  int status = 0;              ///< HTTP status; 0 when no response arrived
  bool timed_out = false;      ///< the request ran past its timeout
  std::string transport_error; ///< curl's message when no response arrived
  std::string body;
  std::optional<double> retry_after_s;  ///< the Retry-After header in seconds, if sent
};

/// POSTs `body` (JSON) to `url`. Timeouts in seconds.
HttpOutcome PostJson(const std::string& url, const std::vector<std::string>& headers, const std::string& body,
                     double timeout_s, double connect_timeout_s);

}  // namespace taskforge::generator
