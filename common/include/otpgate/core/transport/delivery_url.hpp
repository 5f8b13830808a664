// Which URLs the delivery layer talks to.
//
// Providers are reached over TLS only. Plain http:// and SMTP without
// STARTTLS are accepted for exactly one case: a relay on this machine
// (127.0.0.1, ::1 or localhost), where the traffic never leaves the host,
// e.g. a local SMS modem daemon or a mail relay that then uses TLS itself.
// libcurl resolves "localhost" to the loopback addresses without asking DNS.
//
// Two readings of one URL. The config is checked with a small parser of our
// own, so that reading the config (at every login) never loads libcurl
// (curl_library.hpp). Just before a transfer the URL is read again by
// libcurl's own parser, whose reading is the one the connection follows.
#pragma once

#include <string>
#include <string_view>

#include "otpgate/core/primitives/result.hpp"

namespace otpgate::core {

struct CurlLibrary;

struct UrlParts {
    std::string scheme;  // lowercase
    std::string host;    // lowercase; IPv6 in brackets; IP addresses normalised
    bool loopback = false;
};

// scheme://host[:port][/path][?query]: no spaces or control characters, no
// user name or password (credentials belong in the credentials file), a
// host name without the characters libcurl refuses in one (after
// %-decoding), or an IP address (normalised as libcurl does).
Result<UrlParts> parse_delivery_url(std::string_view url);

// The same rules, then libcurl's parser, whose scheme and host are returned.
Result<UrlParts> parse_delivery_url_with_libcurl(const CurlLibrary& libcurl, std::string_view url);

bool is_loopback_host(std::string_view host);

// Empty when acceptable, else the problem (for config errors).
std::string check_https_url(std::string_view url);  // https://, or http:// to a loopback host
std::string check_smtp_url(std::string_view url);   // smtp:// or smtps://

}  // namespace otpgate::core
