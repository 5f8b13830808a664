// One HTTPS request to an SMS gateway, with the shared transfer rules
// (curl_transfer.hpp) and a capped response body.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "otpgate/core/transport/curl_transfer.hpp"
#include "otpgate/core/transport/http_options.hpp"

namespace otpgate::core {

// A gateway answer larger than this aborts the transfer.
inline constexpr std::size_t max_response_bytes = 64 * 1024;

struct HttpRequest {
    std::string url;
    HttpMethod method = HttpMethod::post;
    std::string content_type;
    std::string_view body;                   // may hold the code: not copied
    std::vector<std::string> extra_headers;  // "Name: value"
    HttpAuth auth = HttpAuth::none;
    std::string username;     // basic
    std::string_view secret;  // basic password or bearer token
};

struct HttpOutcome {
    bool answered = false;  // an HTTP status line arrived and the body was read
    long status = 0;
    std::string body;     // at most max_response_bytes; never shown to anyone
    std::string failure;  // when !answered: why, for DeliveryResult::detail
};

// Performs the request. Never throws for network or provider trouble; only
// std::bad_alloc for resource failures.
HttpOutcome perform_http_request(const HttpRequest& request, const TransferSettings& settings);

}  // namespace otpgate::core
