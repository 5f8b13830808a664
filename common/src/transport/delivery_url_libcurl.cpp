// The transfer-time reading of a delivery URL (delivery_url.hpp): libcurl's
// own parser, kept apart so that delivery_url.cpp, which the config uses,
// never needs libcurl.
#include <new>

#include "otpgate/core/primitives/text.hpp"
#include "otpgate/core/transport/curl_handles.hpp"
#include "otpgate/core/transport/delivery_url.hpp"

namespace otpgate::core {
namespace {

// Copies a part of the URL into `out`; false when the URL has no such part.
bool get_part(const CurlLibrary& libcurl, const CURLU* url, CURLUPart part, std::string& out) {
    char* raw = nullptr;
    if (libcurl.url_get(url, part, &raw, 0) != CURLUE_OK) {
        return false;
    }
    const CurlString owned(raw, CurlStringDeleter{&libcurl});
    out = raw == nullptr ? std::string() : std::string(raw);
    return true;
}

}  // namespace

Result<UrlParts> parse_delivery_url_with_libcurl(const CurlLibrary& libcurl, std::string_view url) {
    if (auto ours = parse_delivery_url(url); !ours) {
        return ours.error();
    }
    const CurlUrl handle = make_curl_url(libcurl);
    const std::string text(url);
    const CURLUcode rc = libcurl.url_set(handle.get(), CURLUPART_URL, text.c_str(), 0);
    if (rc != CURLUE_OK) {
        return make_error(ErrorKind::invalid_input,
                          std::string("not a valid URL: ") + libcurl.url_strerror(rc));
    }
    UrlParts parts;
    std::string ignored;
    if (get_part(libcurl, handle.get(), CURLUPART_USER, ignored) ||
        get_part(libcurl, handle.get(), CURLUPART_PASSWORD, ignored)) {
        return make_error(ErrorKind::invalid_input,
                          "a user name or password in the URL is not allowed; put credentials in "
                          "the credentials file");
    }
    if (!get_part(libcurl, handle.get(), CURLUPART_SCHEME, parts.scheme) ||
        !get_part(libcurl, handle.get(), CURLUPART_HOST, parts.host) || parts.host.empty()) {
        return make_error(ErrorKind::invalid_input, "expected scheme://host");
    }
    parts.scheme = ascii_lowercase(parts.scheme);
    parts.host = ascii_lowercase(parts.host);
    parts.loopback = is_loopback_host(parts.host);
    return parts;
}

}  // namespace otpgate::core
