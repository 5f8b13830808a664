#include "otpgate/core/transport/curl_transfer.hpp"

#include <algorithm>

#include <sys/socket.h>
#include <unistd.h>

#include "otpgate/core/primitives/text.hpp"
#include "otpgate/core/system/safe_text.hpp"

namespace otpgate::core {
namespace {

constexpr std::size_t max_reason_size = 200;

std::string reason(const CurlLibrary& libcurl, CURLcode code, const CurlErrorBuffer& errors) {
    const std::string_view buffer(errors.text);
    const std::string text =
        buffer.empty() ? std::string(libcurl.easy_strerror(code)) : std::string(buffer);
    // Error buffers end with a newline now and then.
    return one_line(trim_blanks(text.substr(0, text.find_last_not_of('\n') + 1)), max_reason_size);
}

// The progress callback. Past the deadline it aborts the transfer and shuts
// the connection down: libcurl still says QUIT to an SMTP server after an
// abort in the last phase and would wait a whole second (its least response
// timeout) for an answer that a stalled server never sends.
int stop_at_deadline(void* data, curl_off_t, curl_off_t, curl_off_t, curl_off_t) noexcept {
    auto* errors = static_cast<CurlErrorBuffer*>(data);
    if (std::chrono::steady_clock::now() < errors->deadline) {
        return 0;
    }
    if (errors->socket != CURL_SOCKET_BAD) {
        ::shutdown(errors->socket, SHUT_RDWR);
    }
    return 1;
}

// Which socket the transfer uses, for stop_at_deadline; forgotten once
// libcurl closes it, so a reused descriptor number is never touched.
int remember_socket(void* data, curl_socket_t socket, curlsocktype) noexcept {
    static_cast<CurlErrorBuffer*>(data)->socket = socket;
    return CURL_SOCKOPT_OK;
}
int close_socket(void* data, curl_socket_t socket) noexcept {
    auto* errors = static_cast<CurlErrorBuffer*>(data);
    if (errors->socket == socket) {
        errors->socket = CURL_SOCKET_BAD;
    }
    return ::close(socket);
}

}  // namespace

const char* user_agent() {
    return "otpgate/" OTPGATE_VERSION;
}

Result<void> apply_transfer_options(const CurlLibrary& libcurl, CURL* handle,
                                    const TransferSettings& settings, const char* protocols,
                                    CurlErrorBuffer& errors) {
    CURLcode failed = CURLE_OK;
    const char* failed_option = "";
    const auto set = [&](const char* name, CURLoption option, auto value) {
        if (failed == CURLE_OK) {
            const CURLcode rc = libcurl.easy_setopt(handle, option, value);
            if (rc != CURLE_OK) {
                failed = rc;
                failed_option = name;
            }
        }
    };
    set("ERRORBUFFER", CURLOPT_ERRORBUFFER, errors.text);
    // No SIGALRM for DNS timeouts: we run inside someone else's process.
    set("NOSIGNAL", CURLOPT_NOSIGNAL, 1L);
    set("TIMEOUT_MS", CURLOPT_TIMEOUT_MS, static_cast<long>(settings.timeout_ms));
    set("CONNECTTIMEOUT_MS", CURLOPT_CONNECTTIMEOUT_MS,
        static_cast<long>(std::min(settings.connect_timeout_ms, settings.timeout_ms)));
    // SMTP: libcurl (7.88) waits for the answer to the end of DATA with its
    // own response timeout, 120 s by default, whatever TIMEOUT_MS says: a
    // server that stalls there held the login for two minutes. The progress
    // callback, called in that wait too, ends the transfer on time.
    errors.deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(settings.timeout_ms);
    set("SERVER_RESPONSE_TIMEOUT", CURLOPT_SERVER_RESPONSE_TIMEOUT,
        static_cast<long>((settings.timeout_ms + 999) / 1000));
    set("NOPROGRESS", CURLOPT_NOPROGRESS, 0L);
    set("XFERINFOFUNCTION", CURLOPT_XFERINFOFUNCTION, &stop_at_deadline);
    set("XFERINFODATA", CURLOPT_XFERINFODATA, static_cast<void*>(&errors));
    set("SOCKOPTFUNCTION", CURLOPT_SOCKOPTFUNCTION, &remember_socket);
    set("SOCKOPTDATA", CURLOPT_SOCKOPTDATA, static_cast<void*>(&errors));
    set("CLOSESOCKETFUNCTION", CURLOPT_CLOSESOCKETFUNCTION, &close_socket);
    set("CLOSESOCKETDATA", CURLOPT_CLOSESOCKETDATA, static_cast<void*>(&errors));
    // Verification is always on; there is deliberately no setting to turn it off.
    set("SSL_VERIFYPEER", CURLOPT_SSL_VERIFYPEER, 1L);
    set("SSL_VERIFYHOST", CURLOPT_SSL_VERIFYHOST, 2L);
    set("SSLVERSION", CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    if (!settings.ca_file.empty()) {
        set("CAINFO", CURLOPT_CAINFO, settings.ca_file.c_str());
    }
    if (!settings.ca_path.empty()) {
        set("CAPATH", CURLOPT_CAPATH, settings.ca_path.c_str());
    }
    // Proxies from the environment are ignored: under su or a screen locker
    // the environment belongs to the user, who could otherwise route a
    // plain-HTTP relay request (with the code in it) through their own proxy.
    set("PROXY", CURLOPT_PROXY, "");
    set("NOPROXY", CURLOPT_NOPROXY, "*");
    set("NETRC", CURLOPT_NETRC, static_cast<long>(CURL_NETRC_IGNORED));
    // A redirect is a failure, never followed (it could leave https).
    set("FOLLOWLOCATION", CURLOPT_FOLLOWLOCATION, 0L);
    set("PROTOCOLS_STR", CURLOPT_PROTOCOLS_STR, protocols);
    set("REDIR_PROTOCOLS_STR", CURLOPT_REDIR_PROTOCOLS_STR, protocols);
    set("FORBID_REUSE", CURLOPT_FORBID_REUSE, 1L);
    set("USERAGENT", CURLOPT_USERAGENT, user_agent());
    if (failed != CURLE_OK) {
        return make_error(ErrorKind::unavailable, std::string("libcurl rejected option ") +
                                                      failed_option + ": " +
                                                      libcurl.easy_strerror(failed));
    }
    return {};
}

std::string describe_transfer_failure(const CurlLibrary& libcurl, CURLcode code,
                                      const CurlErrorBuffer& errors,
                                      std::chrono::milliseconds elapsed,
                                      const TransferSettings& settings, std::string_view peer) {
    const std::string who(peer);
    switch (code) {
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_ABORTED_BY_CALLBACK:  // only stop_at_deadline aborts
            return "timed out after " + std::to_string(elapsed.count()) + " ms (limit " +
                   std::to_string(settings.timeout_ms) + " ms, connect limit " +
                   std::to_string(std::min(settings.connect_timeout_ms, settings.timeout_ms)) +
                   " ms)";
        case CURLE_COULDNT_RESOLVE_HOST: return "cannot resolve the " + who + "'s host name";
        case CURLE_COULDNT_CONNECT:
            return "cannot connect to the " + who + ": " + reason(libcurl, code, errors);
        case CURLE_PEER_FAILED_VERIFICATION:
            return "TLS certificate of the " + who +
                   " not trusted: " + reason(libcurl, code, errors);
        case CURLE_SSL_CONNECT_ERROR:
            return "TLS handshake with the " + who + " failed: " + reason(libcurl, code, errors);
        case CURLE_SSL_CACERT_BADFILE:
            return "cannot load the trusted TLS certificates (tls_ca_file, tls_ca_path): " +
                   reason(libcurl, code, errors);
        case CURLE_GOT_NOTHING: return "the " + who + " closed the connection without an answer";
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
            return "connection to the " + who + " failed: " + reason(libcurl, code, errors);
        case CURLE_UNSUPPORTED_PROTOCOL:
            return "protocol not allowed for the " + who + ": " + reason(libcurl, code, errors);
        default: return who + " transfer failed: " + reason(libcurl, code, errors);
    }
}

}  // namespace otpgate::core
