// Which URLs the delivery layer talks to.
//
// Providers are reached over TLS only. Plain http:// and SMTP without
// STARTTLS are accepted for exactly one case: a relay on this machine
// (127.0.0.1, ::1 or localhost), where the traffic never leaves the host,
// e.g. a local SMS modem daemon or a mail relay that then uses TLS itself.
// libcurl resolves "localhost" to the loopback addresses without asking DNS.
#pragma once

#include <string>
#include <string_view>

#include "otpgate/core/result.hpp"

namespace otpgate::core {

struct UrlParts {
    std::string scheme;  // lowercase
    std::string host;    // lowercase; IPv6 in brackets
    bool loopback = false;
};

// Parses an absolute URL with libcurl's parser. User names and passwords in
// the URL are refused: credentials belong in the credentials file.
Result<UrlParts> parse_delivery_url(std::string_view url);

bool is_loopback_host(std::string_view host);

// Empty when acceptable, else the problem (for config errors).
std::string check_https_url(std::string_view url);  // https://, or http:// to a loopback host
std::string check_smtp_url(std::string_view url);   // smtp:// or smtps://

}  // namespace otpgate::core
