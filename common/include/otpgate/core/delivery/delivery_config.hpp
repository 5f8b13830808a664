// Settings of the message delivery backends (SMS and email providers).
// Parsed by the same parser as every other key (config/delivery_keys.cpp);
// each value is checked on its own when it is read (file:line in errors),
// and combinations (a backend without its URL, say) when a sender is made.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "otpgate/core/transport/http_options.hpp"

namespace otpgate::core {

enum class SmsBackend { none, twilio, generic, file, command };
enum class EmailBackend { none, smtp, sendmail, file, command };

enum class HttpBodyType { form, json };
enum class SmtpStartTls { required, none };

struct HttpHeader {
    std::string name;
    std::string value;
    bool operator==(const HttpHeader&) const = default;
};

struct DeliveryConfig {
    SmsBackend sms_backend = SmsBackend::none;
    EmailBackend email_backend = EmailBackend::none;

    // Message texts. Templates are stored with `\n` already turned into
    // line breaks; placeholders are checked when the key is read.
    std::string sms_template = "{code} is your {host} login code. It expires in {minutes} minutes.";
    std::string sms_verify_template =
        "{code} is your code to confirm this phone number for {host}. It expires in {minutes} "
        "minutes.";
    std::string email_subject = "Your {host} login code";
    std::string email_template =
        "Hello {user},\n\n{code} is your login code for {host}. It expires in {minutes} "
        "minutes.\n\nIf you did not try to log in, someone may know your password: change it and "
        "tell your administrator.\n";
    std::string email_verify_subject = "Confirm your email address for {host}";
    std::string email_verify_template =
        "Hello {user},\n\n{code} is your code to confirm this email address for {host}. It "
        "expires in {minutes} minutes.\n\nIf you did not ask for this, you can ignore this "
        "message.\n";
    // A code proving the current second factor before it is changed: the
    // warning is what someone who did not ask for it must read. One SMS
    // (160 characters) for host names up to 39 characters.
    std::string sms_change_template =
        "{code} confirms a change to your {host} second factor. Not you? Someone may be trying "
        "to change it: contact your administrator.";
    std::string email_change_subject = "Confirm a change to your second factor on {host}";
    std::string email_change_template =
        "Hello {user},\n\n{code} is your code to confirm a change to your second factor on "
        "{host}. It expires in {minutes} minutes.\n\nIf you did not ask for this, someone may be "
        "trying to change your second factor: contact your administrator.\n";
    std::string email_notice_subject = "Second factor changed on {host}";

    // Provider secrets live in their own root-only file.
    std::filesystem::path credentials_file = "/etc/security/otpgate.secrets";

    // Network: hard limits for every HTTP and SMTP transfer.
    unsigned timeout_ms = 10000;
    unsigned connect_timeout_ms = 5000;
    std::string tls_ca_file;  // empty: libcurl's default bundle
    std::string tls_ca_path;

    // twilio
    std::string twilio_account_sid;
    std::string twilio_from;
    std::string twilio_messaging_service_sid;
    std::string twilio_api_url = "https://api.twilio.com";

    // generic HTTP gateway
    std::string http_url;
    HttpMethod http_method = HttpMethod::post;
    HttpBodyType http_body_type = HttpBodyType::form;
    std::string http_body = "to={to}&message={message}";
    std::vector<HttpHeader> http_headers;
    HttpAuth http_auth = HttpAuth::none;
    std::string http_username;
    std::string http_success_contains;

    // smtp
    std::string smtp_url;
    SmtpStartTls smtp_starttls = SmtpStartTls::required;
    std::string smtp_username;
    std::string email_from;  // "addr@example.com" or "Name <addr@example.com>"

    // sendmail
    std::string sendmail_path = "/usr/sbin/sendmail";

    // file
    std::string sms_outbox;
    std::string email_outbox;

    // command: program path first, then fixed arguments
    std::vector<std::string> sms_command;
    std::vector<std::string> email_command;

    bool operator==(const DeliveryConfig&) const = default;
};

}  // namespace otpgate::core
