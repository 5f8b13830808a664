#include "otpgate/core/delivery/smtp_email.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>

#include "otpgate/core/delivery/message_text.hpp"
#include "otpgate/core/delivery/sender_transfer.hpp"
#include "otpgate/core/primitives/random.hpp"
#include "otpgate/core/transport/curl_handles.hpp"
#include "otpgate/core/transport/delivery_url.hpp"

namespace otpgate::core {
namespace {

struct UploadSource {
    std::string_view data;
    std::size_t offset = 0;
};

// A C callback; it cannot throw.
std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* context) noexcept {
    auto* source = static_cast<UploadSource*>(context);
    const std::size_t bytes = std::min(size * count, source->data.size() - source->offset);
    std::memcpy(buffer, source->data.data() + source->offset, bytes);
    source->offset += bytes;
    return bytes;
}

SecretString terminated(std::string_view text) {
    SecretString out(text);
    out.push_back('\0');
    return out;
}

}  // namespace

std::string check_smtp_settings(const DeliveryConfig& config) {
    if (config.smtp_url.empty()) {
        return "email_backend = smtp needs smtp_url";
    }
    if (config.email_from.empty()) {
        return "email_backend = smtp needs email_from";
    }
    const auto url = parse_delivery_url(config.smtp_url);
    if (!url) {
        return "smtp_url: " + url.error().message;
    }
    if (url->scheme == "smtp" && config.smtp_starttls == SmtpStartTls::none && !url->loopback) {
        return "smtp_starttls = none is only allowed for a relay on this host (127.0.0.1, ::1 or "
               "localhost)";
    }
    return {};
}

SmtpEmailSender::SmtpEmailSender(const DeliveryConfig& config, MailAddress from,
                                 std::optional<SecretString> password, Logger& logger)
    : m_config(config),
      m_transfer(transfer_settings(config)),
      m_from(std::move(from)),
      m_password(std::move(password)),
      m_logger(logger) {}

DeliveryResult SmtpEmailSender::send(const OutgoingMessage& message) {
    if (message.channel != Channel::email) {
        return {false, "the smtp backend only sends email"};
    }
    const EmailText text = compose_email_text(m_config, message);
    OpenSslRandom random;
    const auto email = format_email({m_from, message.to, text.subject.view(), text.body.view()},
                                    std::time(nullptr), random, LineEnding::crlf);
    if (!email) {
        return {false, "cannot build the email: " + email.error().message};
    }
    const auto loaded = curl_library();
    if (!loaded) {
        return {false, loaded.error().message};
    }
    const CurlLibrary& libcurl = *loaded.value();
    const auto url = parse_delivery_url_with_libcurl(libcurl, m_config.smtp_url);
    if (!url) {
        return {false, "bad smtp_url: " + url.error().message};
    }
    const bool starttls = url->scheme == "smtp" && m_config.smtp_starttls == SmtpStartTls::required;
    if (url->scheme == "smtp" && !starttls && !url->loopback) {
        return {false, "SMTP without TLS is only allowed to 127.0.0.1, ::1 or localhost"};
    }

    const CurlEasy handle = make_curl_easy(libcurl);
    CURL* const curl = handle.get();
    CurlErrorBuffer errors;
    if (const auto applied =
            apply_transfer_options(libcurl, curl, m_transfer, url->scheme.c_str(), errors);
        !applied) {
        return {false, applied.error().message};
    }
    CurlSlist recipients;
    slist_append(libcurl, recipients, "<" + message.to + ">");
    const std::string mail_from = "<" + m_from.address + ">";
    UploadSource source{email->view()};
    SecretString password = terminated(m_password ? m_password->view() : std::string_view());

    CURLcode rc = CURLE_OK;
    const auto set = [&](CURLoption option, auto value) {
        if (rc == CURLE_OK) {
            rc = libcurl.easy_setopt(curl, option, value);
        }
    };
    set(CURLOPT_URL, m_config.smtp_url.c_str());
    // For smtp:// STARTTLS is mandatory: no STARTTLS offered, no mail sent.
    set(CURLOPT_USE_SSL,
        static_cast<long>(url->scheme == "smtps" || starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
    set(CURLOPT_MAIL_FROM, mail_from.c_str());
    set(CURLOPT_MAIL_RCPT, recipients.get());
    set(CURLOPT_UPLOAD, 1L);
    set(CURLOPT_READFUNCTION, &read_upload);
    set(CURLOPT_READDATA, static_cast<void*>(&source));
    set(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(source.data.size()));
    if (!m_config.smtp_username.empty()) {
        set(CURLOPT_USERNAME, m_config.smtp_username.c_str());
        set(CURLOPT_PASSWORD, password.view().data());
    }
    if (rc != CURLE_OK) {
        return {false,
                std::string("libcurl rejected the mail settings: ") + libcurl.easy_strerror(rc)};
    }

    const auto start = std::chrono::steady_clock::now();
    rc = libcurl.easy_perform(curl);
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    long smtp_code = 0;
    libcurl.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &smtp_code);
    const std::string code_text = smtp_code > 0 ? " (SMTP " + std::to_string(smtp_code) + ")" : "";
    DeliveryResult result;
    switch (rc) {
        case CURLE_OK: result = {true, "mail server accepted the message" + code_text}; break;
        case CURLE_USE_SSL_FAILED:
            result = {false,
                      "the mail server does not offer STARTTLS, which smtp_starttls = "
                      "required demands"};
            break;
        case CURLE_LOGIN_DENIED:
            result = {false, "the mail server refused the login" + code_text};
            break;
        default:
            result = {false, describe_transfer_failure(libcurl, rc, errors, elapsed, m_transfer,
                                                       "mail server") +
                                 code_text};
            break;
    }
    m_logger.debug("smtp: " + result.detail + " after " + std::to_string(elapsed.count()) + " ms");
    return result;
}

}  // namespace otpgate::core
