#include "otpgate/core/transport/https_client.hpp"

#include <chrono>

#include "otpgate/core/primitives/secret.hpp"
#include "otpgate/core/transport/curl_handles.hpp"
#include "otpgate/core/transport/delivery_url.hpp"

namespace otpgate::core {
namespace {

struct ResponseSink {
    std::string body;
    bool overflow = false;
};

// A C callback: nothing may be thrown through libcurl. Returning less than
// was offered aborts the transfer (CURLE_WRITE_ERROR).
std::size_t collect_body(char* data, std::size_t size, std::size_t count, void* context) noexcept {
    try {
        auto* sink = static_cast<ResponseSink*>(context);
        const std::size_t bytes = size * count;
        if (sink->body.size() + bytes > max_response_bytes) {
            sink->overflow = true;
            return 0;
        }
        sink->body.append(data, bytes);
        return bytes;
    } catch (...) {
        return 0;
    }
}

// libcurl copies option strings, so NUL-terminated copies of secrets live
// in wiping buffers only for as long as setopt needs them.
SecretString terminated(std::string_view text) {
    SecretString out(text);
    out.push_back('\0');
    return out;
}

HttpOutcome failed(std::string why) {
    HttpOutcome outcome;
    outcome.failure = std::move(why);
    return outcome;
}

}  // namespace

HttpOutcome perform_http_request(const HttpRequest& request, const TransferSettings& settings) {
    const auto loaded = curl_library();
    if (!loaded) {
        return failed(loaded.error().message);
    }
    const CurlLibrary& libcurl = *loaded.value();
    const auto url = parse_delivery_url_with_libcurl(libcurl, request.url);
    if (!url) {
        return failed("bad gateway URL: " + url.error().message);
    }
    // Checked when the config was read; checked again where it matters.
    const bool plain_http = url->scheme == "http";
    if (plain_http && !url->loopback) {
        return failed("http:// is only allowed to 127.0.0.1, ::1 or localhost");
    }
    const CurlEasy handle = make_curl_easy(libcurl);
    CURL* const curl = handle.get();
    CurlErrorBuffer errors;
    if (const auto applied =
            apply_transfer_options(libcurl, curl, settings, plain_http ? "http" : "https", errors);
        !applied) {
        return failed(applied.error().message);
    }

    CurlSlist headers;
    slist_append(libcurl, headers, "Content-Type: " + request.content_type);
    slist_append(libcurl, headers, "Expect:");  // no 100-continue round trip
    for (const auto& header : request.extra_headers) {
        slist_append(libcurl, headers, header);
    }
    ResponseSink sink;
    SecretString secret = terminated(request.secret);
    CURLcode rc = CURLE_OK;
    const auto set = [&](CURLoption option, auto value) {
        if (rc == CURLE_OK) {
            rc = libcurl.easy_setopt(curl, option, value);
        }
    };
    set(CURLOPT_URL, request.url.c_str());
    set(CURLOPT_POST, 1L);
    // Never a null pointer: libcurl would then read the body from stdin.
    set(CURLOPT_POSTFIELDS, request.body.empty() ? "" : request.body.data());
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    if (request.method == HttpMethod::put) {
        set(CURLOPT_CUSTOMREQUEST, "PUT");
    }
    set(CURLOPT_HTTPHEADER, headers.get());
    set(CURLOPT_WRITEFUNCTION, &collect_body);
    set(CURLOPT_WRITEDATA, static_cast<void*>(&sink));
    switch (request.auth) {
        case HttpAuth::none: break;
        case HttpAuth::basic:
            set(CURLOPT_HTTPAUTH, static_cast<unsigned long>(CURLAUTH_BASIC));
            set(CURLOPT_USERNAME, request.username.c_str());
            set(CURLOPT_PASSWORD, secret.view().data());
            break;
        case HttpAuth::bearer:
            // libcurl builds "Authorization: Bearer ..." itself, so the
            // token never sits in a header list we would have to wipe.
            set(CURLOPT_HTTPAUTH, static_cast<unsigned long>(CURLAUTH_BEARER));
            set(CURLOPT_XOAUTH2_BEARER, secret.view().data());
            break;
    }
    if (rc != CURLE_OK) {
        return failed(std::string("libcurl rejected the request: ") + libcurl.easy_strerror(rc));
    }

    const auto start = std::chrono::steady_clock::now();
    rc = libcurl.easy_perform(curl);
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    if (rc == CURLE_WRITE_ERROR && sink.overflow) {
        return failed("gateway response exceeds " + std::to_string(max_response_bytes) +
                      " bytes; transfer aborted");
    }
    if (rc != CURLE_OK) {
        return failed(describe_transfer_failure(libcurl, rc, errors, elapsed, settings, "gateway"));
    }
    HttpOutcome outcome;
    outcome.answered = true;
    libcurl.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &outcome.status);
    outcome.body = std::move(sink.body);
    return outcome;
}

}  // namespace otpgate::core
