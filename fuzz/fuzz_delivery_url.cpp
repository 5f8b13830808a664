// parse_delivery_url (our own parser, so that reading the config never
// loads libcurl), as the config applies it to http_url, twilio_api_url and
// smtp_url, and libcurl's reading of the same URL at send time.
// Invariants: scheme and host come back lower case and non-empty; a URL
// check_https_url accepts is https, or http to a loopback host; no URL
// with credentials in it is accepted; where both parsers accept a URL the
// config can hold, they agree on its scheme, host and loopback.
#include <cctype>
#include <string>

#include "fuzz_support.hpp"
#include "otpgate/core/transport/curl_library.hpp"
#include "otpgate/core/transport/delivery_url.hpp"

using namespace otpgate;

namespace {

bool is_lower(std::string_view text) {
    for (const char c : text) {
        if (std::isupper(static_cast<unsigned char>(c)) != 0) {
            return false;
        }
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 4096) {
        return 0;
    }
    const std::string_view text = fuzz::as_text(data, size);
    const auto parts = core::parse_delivery_url(text);
    const std::string https_problem = core::check_https_url(text);
    const std::string smtp_problem = core::check_smtp_url(text);
    if (!parts) {
        FUZZ_CHECK(!https_problem.empty() && !smtp_problem.empty());
        return 0;
    }
    FUZZ_CHECK(!parts->scheme.empty() && !parts->host.empty());
    FUZZ_CHECK(is_lower(parts->scheme) && is_lower(parts->host));
    FUZZ_CHECK(parts->loopback == core::is_loopback_host(parts->host));
    if (https_problem.empty()) {
        FUZZ_CHECK(parts->scheme == "https" || (parts->scheme == "http" && parts->loopback));
    }
    if (smtp_problem.empty()) {
        FUZZ_CHECK(parts->scheme == "smtp" || parts->scheme == "smtps");
    }
    if (https_problem.empty() || smtp_problem.empty()) {
        const auto libcurl = core::curl_library();
        FUZZ_CHECK(libcurl.ok());
        const auto read_by_libcurl = core::parse_delivery_url_with_libcurl(*libcurl.value(), text);
        if (read_by_libcurl) {
            FUZZ_CHECK(read_by_libcurl->scheme == parts->scheme);
            FUZZ_CHECK(read_by_libcurl->host == parts->host);
            FUZZ_CHECK(read_by_libcurl->loopback == parts->loopback);
        }
    }
    return 0;
}
