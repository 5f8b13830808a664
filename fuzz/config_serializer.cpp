#include "config_serializer.hpp"

#include <cstdio>
#include <cstdlib>
#include <set>

#include "fuzz_support.hpp"

namespace otpgate::fuzz {
namespace {

using core::Config;

std::string yes_no(bool value) {
    return value ? "yes" : "no";
}

// Templates are stored with line breaks decoded; the file spells them \n.
std::string line_escaped(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

template <typename List, typename Describe>
std::string joined(const List& list, std::string_view separator, Describe describe) {
    std::string out;
    for (const auto& item : list) {
        if (!out.empty()) {
            out += separator;
        }
        out += describe(item);
    }
    return out;
}

std::string words(const std::vector<std::string>& list) {
    return joined(list, " ", [](const std::string& word) { return word; });
}

}  // namespace

std::string serialize_config(const Config& c) {
    std::string out;
    std::set<std::string_view> written;
    const auto line = [&](std::string_view key, const std::string& value) {
        written.insert(key);
        out += key;
        out += " = \"";
        out += value;
        out += "\"\n";
    };
    const auto& d = c.delivery;
    const auto& p = c.policy;

    line("enrollment_path", c.enrollment_path);
    line("verify_helper", c.verify_helper);
    line("store", std::string(core::to_string(c.store)));
    line("state_dir", c.state_dir.string());
    line("lock_timeout_ms", std::to_string(c.lock_timeout.count()));
    line("issuer", c.issuer);
    line("totp_algorithm", std::string(core::to_string(c.totp.algorithm)));
    line("totp_digits", std::to_string(c.totp.digits));
    line("totp_period", std::to_string(c.totp.period));
    line("totp_window", std::to_string(c.totp_window));
    line("secret_bits", std::to_string(c.secret_bits));
    line("backup_code_count", std::to_string(c.backup_code_count));
    line("backup_code_digits", std::to_string(c.backup_code_digits));
    line("backup_code_iterations", std::to_string(c.backup_code_iterations));
    line("max_attempts", std::to_string(c.max_attempts));
    line("fail_delay_ms", std::to_string(c.fail_delay_ms));
    line("prompt", c.prompt);
    line("nullok", yes_no(c.nullok));
    line("debug", yes_no(c.debug));
    line("code_digits", std::to_string(c.code_digits));
    line("sms_code_lifetime", std::to_string(c.sms_code_lifetime));
    line("email_code_lifetime", std::to_string(c.email_code_lifetime));
    line("max_resends", std::to_string(c.max_resends));
    line("send_cooldown", std::to_string(c.send_cooldown));
    line("max_sends_per_hour", std::to_string(c.max_sends_per_hour));
    line("failmode", c.failmode == Config::FailMode::secure ? "secure" : "safe");
    line("help_text", c.help_text);
    line("notify_changes", yes_no(c.notify_changes));
    line("notify_domain", c.notify_domain);
    line("phone_default_region", c.phone_default_region);
    line("sms_allowed_countries", words(c.sms_allowed_countries));

    static constexpr const char* sms_backends[] = {"none", "twilio", "generic", "file", "command"};
    static constexpr const char* email_backends[] = {"none", "smtp", "sendmail", "file", "command"};
    line("sms_backend", sms_backends[static_cast<int>(d.sms_backend)]);
    line("email_backend", email_backends[static_cast<int>(d.email_backend)]);
    line("sms_template", line_escaped(d.sms_template));
    line("sms_verify_template", line_escaped(d.sms_verify_template));
    line("email_subject", d.email_subject);
    line("email_template", line_escaped(d.email_template));
    line("email_verify_subject", d.email_verify_subject);
    line("email_verify_template", line_escaped(d.email_verify_template));
    line("sms_change_template", line_escaped(d.sms_change_template));
    line("email_change_subject", d.email_change_subject);
    line("email_change_template", line_escaped(d.email_change_template));
    line("email_notice_subject", d.email_notice_subject);
    line("credentials_file", d.credentials_file.string());
    line("delivery_timeout_ms", std::to_string(d.timeout_ms));
    line("delivery_connect_timeout_ms", std::to_string(d.connect_timeout_ms));
    line("tls_ca_file", d.tls_ca_file);
    line("tls_ca_path", d.tls_ca_path);
    line("twilio_account_sid", d.twilio_account_sid);
    line("twilio_messaging_service_sid", d.twilio_messaging_service_sid);
    line("twilio_from", d.twilio_from);
    line("twilio_api_url", d.twilio_api_url);
    line("http_url", d.http_url);
    line("http_method", d.http_method == core::HttpMethod::post ? "POST" : "PUT");
    line("http_body_type", d.http_body_type == core::HttpBodyType::json ? "json" : "form");
    line("http_body", line_escaped(d.http_body));
    line("http_headers", joined(d.http_headers, " | ", [](const core::HttpHeader& header) {
             return header.name + ": " + header.value;
         }));
    static constexpr const char* auths[] = {"none", "basic", "bearer"};
    line("http_auth", auths[static_cast<int>(d.http_auth)]);
    line("http_username", d.http_username);
    line("http_success_contains", d.http_success_contains);
    line("smtp_url", d.smtp_url);
    line("smtp_starttls", d.smtp_starttls == core::SmtpStartTls::required ? "required" : "none");
    line("smtp_username", d.smtp_username);
    line("email_from", d.email_from);
    line("sendmail_path", d.sendmail_path);
    line("sms_outbox", d.sms_outbox);
    line("email_outbox", d.email_outbox);
    line("sms_command", words(d.sms_command));
    line("email_command", words(d.email_command));

    static constexpr const char* enforce[] = {"all", "groups", "enrolled"};
    line("enforce", enforce[static_cast<int>(p.enforce)]);
    line("groups",
         joined(p.groups, " ", [](const core::GroupRule& rule) { return rule.describe(); }));
    line("exempt_networks", joined(p.exempt_networks, " ", [](const core::IpNetwork& network) {
             return core::to_string(network);
         }));
    line("exempt_networks_resolve", yes_no(p.exempt_networks_resolve));
    line("remember_host", std::to_string(p.remember_host));
    line("lockout_failures", std::to_string(p.lockout.max_failures));
    line("lockout_window", std::to_string(p.lockout.window));
    line("lockout_duration", std::to_string(p.lockout.duration));
    line("host_max_sms_per_hour", std::to_string(p.host_max_sms_per_hour));

    const auto& db = c.database;
    line("store_url", db.url);
    line("store_timeout_ms", std::to_string(db.timeout.count()));
    line("host_name", db.host_name);
    line("store_offline",
         db.offline == core::DatabaseStoreConfig::Offline::cache ? "cache" : "deny");
    line("store_cache_ttl", std::to_string(db.cache_ttl));
    line("fleet_max_sms_per_hour", std::to_string(db.fleet_max_sms_per_hour));

    // A key added to the parser must be added here too, or the round trip
    // would silently stop covering it.
    static const bool complete = [&written] {
        for (const auto key : core::known_config_keys()) {
            if (written.count(key) == 0) {
                std::fprintf(stderr, "fuzz/config_serializer.cpp does not write key '%.*s'\n",
                             static_cast<int>(key.size()), key.data());
                std::abort();
            }
        }
        return true;
    }();
    (void)complete;
    return out;
}

void check_config_round_trip(const Config& config) {
    const std::string text = serialize_config(config);
    core::CapturingLogger logger;
    Config reread;
    const bool ok = core::parse_config_text(reread, text, "serialized", logger);
    if (!ok || !logger.lines().empty()) {
        std::fprintf(stderr, "serialized config does not read back:\n%s\n", text.c_str());
        for (const auto& logged : logger.lines()) {
            std::fprintf(stderr, "  %s\n", logged.message.c_str());
        }
    }
    FUZZ_CHECK(ok);
    FUZZ_CHECK(logger.lines().empty());
    const std::string again = serialize_config(reread);
    if (again != text) {
        std::fprintf(stderr, "first:\n%s\nsecond:\n%s\n", text.c_str(), again.c_str());
    }
    FUZZ_CHECK(again == text);
}

}  // namespace otpgate::fuzz
