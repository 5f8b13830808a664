#include "otpgate/core/delivery_url.hpp"

#include <cctype>

#include "otpgate/core/config_setters.hpp"
#include "otpgate/core/curl_handles.hpp"

namespace otpgate::core {
namespace {

std::string lowercase(std::string_view text) {
    std::string out;
    for (const char c : text) {
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return out;
}

// Copies a part of the URL into `out`; false when the URL has no such part.
bool get_part(CURLU* url, CURLUPart part, std::string& out) {
    char* raw = nullptr;
    if (curl_url_get(url, part, &raw, 0) != CURLUE_OK) {
        return false;
    }
    const CurlString owned(raw);
    out = raw == nullptr ? std::string() : std::string(raw);
    return true;
}

}  // namespace

bool is_loopback_host(std::string_view host) {
    const std::string lower = lowercase(host);
    return lower == "127.0.0.1" || lower == "[::1]" || lower == "::1" || lower == "localhost";
}

Result<UrlParts> parse_delivery_url(std::string_view url) {
    if (url.empty() || has_control_characters(url) || url.find(' ') != std::string_view::npos) {
        return make_error(ErrorKind::invalid_input, "expected a URL without spaces");
    }
    CurlUrl handle(curl_url());
    if (!handle) {
        throw std::bad_alloc();
    }
    const std::string text(url);
    const CURLUcode rc = curl_url_set(handle.get(), CURLUPART_URL, text.c_str(), 0);
    if (rc != CURLUE_OK) {
        return make_error(ErrorKind::invalid_input,
                          std::string("not a valid URL: ") + curl_url_strerror(rc));
    }
    UrlParts parts;
    std::string ignored;
    if (get_part(handle.get(), CURLUPART_USER, ignored) ||
        get_part(handle.get(), CURLUPART_PASSWORD, ignored)) {
        return make_error(ErrorKind::invalid_input,
                          "a user name or password in the URL is not allowed; put credentials in "
                          "the credentials file");
    }
    if (!get_part(handle.get(), CURLUPART_SCHEME, parts.scheme) ||
        !get_part(handle.get(), CURLUPART_HOST, parts.host) || parts.host.empty()) {
        return make_error(ErrorKind::invalid_input, "expected scheme://host");
    }
    parts.scheme = lowercase(parts.scheme);
    parts.host = lowercase(parts.host);
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
