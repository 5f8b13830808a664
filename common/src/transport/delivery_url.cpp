#include "otpgate/core/transport/delivery_url.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "otpgate/core/primitives/text.hpp"

namespace otpgate::core {
namespace {

bool is_scheme_character(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
}

// What libcurl (7.88) refuses in a host name once it is percent-decoded.
// The rules here follow libcurl's wherever a config could tell them apart:
// a URL that worked before must not turn into a config error.
constexpr std::string_view not_in_host_names = " /:#?!@{}[]\\$'\"^`*<>=;,+&()%";

Error bad_url(const std::string& why) {
    return make_error(ErrorKind::invalid_input, "not a valid URL: " + why);
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower >= 'a' && lower <= 'f' ? lower - 'a' + 10 : -1;
}

// "%2e" and the like decoded, as libcurl decodes host names; nothing when
// an escape is broken or stands for a control character (which libcurl
// keeps or lets through, for a host that cannot resolve anyway).
std::optional<std::string> percent_decoded(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out.push_back(text[i]);
            continue;
        }
        if (i + 2 >= text.size()) {
            return std::nullopt;
        }
        const int high = hex_value(text[i + 1]);
        const int low = hex_value(text[i + 2]);
        if (high < 0 || low < 0 || high * 16 + low < 0x20 || high * 16 + low == 0x7f) {
            return std::nullopt;
        }
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
    }
    return out;
}

// Addresses in the form libcurl gives them back (it normalises both), so
// that "127.1", "0x7f.0.0.1" or "[0:0::1]" are recognised as loopback here
// just as libcurl will connect to them.
std::optional<std::string> normalized_ipv4(const std::string& host) {
    in_addr address{};
    // inet_aton reads the same legacy forms (octal, hex, fewer than four
    // parts) that libcurl normalises.
    if (inet_aton(host.c_str(), &address) == 0) {
        return std::nullopt;
    }
    char text[INET_ADDRSTRLEN] = {};
    if (inet_ntop(AF_INET, &address, text, sizeof text) == nullptr) {
        return std::nullopt;
    }
    return std::string(text);
}

// "[address]" or "[address%25zone]": the address alone, in brackets, as
// libcurl reports the host (the zone is a part of its own there).
std::optional<std::string> normalized_ipv6(std::string_view bracketed) {
    std::string_view inside = bracketed.substr(1, bracketed.size() - 2);
    if (const auto percent = inside.find('%'); percent != std::string_view::npos) {
        std::string_view zone = inside.substr(percent + 1);
        if (zone.substr(0, 2) == "25") {
            zone.remove_prefix(2);
        }
        if (zone.size() > 15 || zone.find_first_of(not_in_host_names) != std::string_view::npos) {
            return std::nullopt;
        }
        inside = inside.substr(0, percent);
    }
    in6_addr address{};
    if (inet_pton(AF_INET6, std::string(inside).c_str(), &address) != 1) {
        return std::nullopt;
    }
    // Like libcurl, the canonical text only where it is shorter: "::2:25"
    // stays itself rather than becoming "::0.2.0.37".
    char text[INET6_ADDRSTRLEN] = {};
    if (inet_ntop(AF_INET6, &address, text, sizeof text) == nullptr) {
        return std::nullopt;
    }
    const std::string_view canonical(text);
    return "[" + std::string(canonical.size() < inside.size() ? canonical : inside) + "]";
}

// "host", "host:port", "[v6]" or "[v6]:port" into the lowercase host; a
// port, when there is one, must be a number up to 65535 (or nothing).
Result<std::string> parse_host_and_port(std::string_view authority) {
    std::string_view host = authority;
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return bad_url("unclosed [ in the host");
        }
        host = authority.substr(0, close + 1);
        port = authority.substr(close + 1);
        if (!port.empty() && port.front() != ':') {
            return bad_url("unexpected text after the IPv6 address");
        }
    } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon);
    }
    if (!port.empty()) {
        port.remove_prefix(1);  // the ':'
        unsigned long number = 0;
        for (const char c : port) {
            if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
                return bad_url("the port must be a number up to 65535");
            }
            number = number * 10 + static_cast<unsigned long>(c - '0');
            if (number > 65535) {
                return bad_url("the port must be a number up to 65535");
            }
        }
    }
    if (host.empty()) {
        return std::string();
    }
    if (host.front() == '[') {
        const auto address = normalized_ipv6(host);
        if (!address) {
            return bad_url("bad IPv6 address");
        }
        return ascii_lowercase(*address);
    }
    const auto decoded = percent_decoded(host);
    if (!decoded) {
        return bad_url("bad %-escape in the host name");
    }
    if (const auto bad = decoded->find_first_of(not_in_host_names); bad != std::string::npos) {
        return bad_url("a host name cannot contain '" + decoded->substr(bad, 1) + "'");
    }
    // libcurl normalises an address before it decodes: "%31%32%37.1" stays
    // "127.1" there, which is no loopback address.
    const std::string lower = ascii_lowercase(*decoded);
    if (host.find('%') != std::string_view::npos) {
        return lower;
    }
    return normalized_ipv4(lower).value_or(lower);
}

}  // namespace

bool is_loopback_host(std::string_view host) {
    const std::string lower = ascii_lowercase(host);
    return lower == "127.0.0.1" || lower == "[::1]" || lower == "::1" || lower == "localhost";
}

Result<UrlParts> parse_delivery_url(std::string_view url) {
    if (url.empty() || has_control_characters(url) || url.find(' ') != std::string_view::npos) {
        return make_error(ErrorKind::invalid_input, "expected a URL without spaces");
    }
    const auto colon = url.find(':');
    if (colon == std::string_view::npos) {
        return make_error(ErrorKind::invalid_input, "expected scheme://host");
    }
    const std::string_view scheme = url.substr(0, colon);
    if (scheme.empty() || std::isalpha(static_cast<unsigned char>(scheme.front())) == 0) {
        return bad_url("the scheme must start with a letter");
    }
    for (const char c : scheme) {
        if (!is_scheme_character(c)) {
            return bad_url("bad scheme");
        }
    }
    // Like libcurl, one to three slashes ("https:/host" works there too).
    std::string_view rest = url.substr(colon + 1);
    const std::size_t slashes = std::min(rest.find_first_not_of('/'), rest.size());
    if (slashes < 1 || slashes > 3) {
        return make_error(ErrorKind::invalid_input, "expected scheme://host");
    }
    rest.remove_prefix(slashes);
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (authority.find('@') != std::string_view::npos) {
        return make_error(ErrorKind::invalid_input,
                          "a user name or password in the URL is not allowed; put credentials in "
                          "the credentials file");
    }
    auto host = parse_host_and_port(authority);
    if (!host) {
        return host.error();
    }
    if (host->empty()) {
        return make_error(ErrorKind::invalid_input, "expected scheme://host");
    }
    UrlParts parts;
    parts.scheme = ascii_lowercase(scheme);
    parts.host = std::move(host.value());
    parts.loopback = is_loopback_host(parts.host);
    return parts;
}

std::string check_https_url(std::string_view url) {
    const auto parts = parse_delivery_url(url);
    if (!parts) {
        return parts.error().message;
    }
    if (parts->scheme == "https") {
        return {};
    }
    if (parts->scheme == "http") {
        if (parts->loopback) {
            return {};
        }
        return "http:// is only allowed for a relay on this host (127.0.0.1, ::1 or localhost); "
               "use https://";
    }
    return "expected an https:// URL";
}

std::string check_smtp_url(std::string_view url) {
    const auto parts = parse_delivery_url(url);
    if (!parts) {
        return parts.error().message;
    }
    if (parts->scheme != "smtp" && parts->scheme != "smtps") {
        return "expected smtp://host:587 (STARTTLS) or smtps://host:465";
    }
    return {};
}

}  // namespace otpgate::core
