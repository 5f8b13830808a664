// What every libcurl transfer of the delivery layer shares, HTTP and SMTP
// alike: hard timeouts, TLS verification that cannot be turned off, no
// signals, no proxies from the environment, no redirects, an allow-list of
// protocols, and failure texts that never carry a URL or a secret.
#pragma once

#include <chrono>
#include <string>

#include <curl/curl.h>

#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/transport/curl_library.hpp"

namespace otpgate::core {

// Filled from the config by the delivery layer (sender_transfer.hpp).
struct TransferSettings {
    unsigned timeout_ms = 10000;
    unsigned connect_timeout_ms = 5000;
    std::string ca_file;  // empty: libcurl's default
    std::string ca_path;
};

// What libcurl's callbacks of one transfer point at: the error buffer, and
// the moment the transfer must be over with its socket, with which a
// progress callback ends it where libcurl's own TIMEOUT_MS does not (SMTP
// waiting for the answer to the end of DATA). Set by apply_transfer_options;
// must outlive the transfer.
struct CurlErrorBuffer {
    char text[CURL_ERROR_SIZE] = {};
    std::chrono::steady_clock::time_point deadline{};
    curl_socket_t socket = CURL_SOCKET_BAD;
};

// Sets the shared options on `handle`. `protocols` is a CURLOPT_PROTOCOLS_STR
// list such as "https" or "smtp,smtps". Error when libcurl rejects one.
Result<void> apply_transfer_options(const CurlLibrary& libcurl, CURL* handle,
                                    const TransferSettings& settings, const char* protocols,
                                    CurlErrorBuffer& errors);

// A one-line reason for a failed transfer, for DeliveryResult::detail:
// "timed out after 1001 ms (limit 1000 ms)", "TLS certificate not trusted:
// ...", "cannot connect: ...". `peer` names the other side ("gateway",
// "mail server").
std::string describe_transfer_failure(const CurlLibrary& libcurl, CURLcode code,
                                      const CurlErrorBuffer& errors,
                                      std::chrono::milliseconds elapsed,
                                      const TransferSettings& settings, std::string_view peer);

// The user agent every request sends: "otpgate/VERSION".
const char* user_agent();

}  // namespace otpgate::core
