// What every libcurl transfer of the delivery layer shares, HTTP and SMTP
// alike: hard timeouts, TLS verification that cannot be turned off, no
// signals, no proxies from the environment, no redirects, an allow-list of
// protocols, and failure texts that never carry a URL or a secret.
#pragma once

#include <chrono>
#include <string>

#include <curl/curl.h>

#include "otpgate/core/delivery_config.hpp"
#include "otpgate/core/result.hpp"

namespace otpgate::core {

struct TransferSettings {
    unsigned timeout_ms = 10000;
    unsigned connect_timeout_ms = 5000;
    std::string ca_file;  // empty: libcurl's default
    std::string ca_path;
};

TransferSettings transfer_settings(const DeliveryConfig& config);

// A curl error buffer of the required size.
struct CurlErrorBuffer {
    char text[CURL_ERROR_SIZE] = {};
};

// Sets the shared options on `handle`. `protocols` is a CURLOPT_PROTOCOLS_STR
// list such as "https" or "smtp,smtps". Error when libcurl rejects one.
Result<void> apply_transfer_options(CURL* handle, const TransferSettings& settings,
                                    const char* protocols, CurlErrorBuffer& errors);

// A one-line reason for a failed transfer, for DeliveryResult::detail:
// "timed out after 1001 ms (limit 1000 ms)", "TLS certificate not trusted:
// ...", "cannot connect: ...". `peer` names the other side ("gateway",
// "mail server").
std::string describe_transfer_failure(CURLcode code, const CurlErrorBuffer& errors,
                                      std::chrono::milliseconds elapsed,
                                      const TransferSettings& settings, std::string_view peer);

// The user agent every request sends: "otpgate/VERSION".
const char* user_agent();

}  // namespace otpgate::core
