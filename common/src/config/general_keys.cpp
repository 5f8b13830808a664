// The keys of the module itself: where enrollments and state live, TOTP,
// backup codes, attempts, delivered codes and change notices.
#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <vector>

#include "config_setters.hpp"
#include "otpgate/core/config/config.hpp"
#include "otpgate/core/primitives/destination.hpp"
#include "otpgate/core/primitives/text.hpp"

namespace otpgate::core {
namespace {

std::string set_verify_helper(Config& config, std::string_view value) {
    if (!value.empty() && (value.front() != '/' || has_control_characters(value))) {
        return "expected an absolute path, or nothing";
    }
    config.verify_helper = std::string(value);
    return {};
}

std::string set_state_dir(Config& config, std::string_view value) {
    if (value.empty() || value.front() != '/' || has_control_characters(value)) {
        return "expected an absolute path";
    }
    config.state_dir = std::string(value);
    return {};
}

std::string set_lock_timeout(Config& config, std::string_view value) {
    const auto milliseconds = parse_unsigned(value, 100, 60000);
    if (!milliseconds) {
        return "expected milliseconds from 100 to 60000";
    }
    config.lock_timeout = std::chrono::milliseconds(*milliseconds);
    return {};
}

std::string set_totp_algorithm(Config& config, std::string_view value) {
    const auto algorithm = parse_hash_algorithm(value);
    if (!algorithm) {
        return "expected SHA1, SHA256 or SHA512";
    }
    config.totp.algorithm = *algorithm;
    return {};
}

std::string set_totp_digits(Config& config, std::string_view value) {
    const auto digits = parse_unsigned(value, min_otp_digits, max_otp_digits);
    if (!digits) {
        return "expected 6, 7 or 8";
    }
    config.totp.digits = *digits;
    return {};
}

std::string set_totp_period(Config& config, std::string_view value) {
    const auto period = parse_unsigned(value, 10, 300);
    if (!period) {
        return "expected seconds from 10 to 300";
    }
    config.totp.period = *period;
    return {};
}

std::string set_secret_bits(Config& config, std::string_view value) {
    const auto bits = parse_unsigned(value, 128, 512);
    if (!bits || *bits % 8 != 0) {
        return "expected a multiple of 8 from 128 to 512";
    }
    config.secret_bits = *bits;
    return {};
}

std::string set_failmode(Config& config, std::string_view value) {
    if (value == "secure") {
        config.failmode = Config::FailMode::secure;
    } else if (value == "safe") {
        config.failmode = Config::FailMode::safe;
    } else {
        return "expected secure or safe";
    }
    return {};
}

std::string set_notify_domain(Config& config, std::string_view value) {
    if (value.empty()) {
        config.notify_domain.clear();
        return {};
    }
    const auto address = normalize_email("x@" + std::string(value));
    if (!address || value.find('@') != std::string_view::npos) {
        return "expected a mail domain such as example.com, or nothing";
    }
    config.notify_domain = address->substr(2);
    return {};
}

std::string set_phone_default_region(Config& config, std::string_view value) {
    const bool two_letters = value.size() == 2 &&
                             std::isupper(static_cast<unsigned char>(value[0])) &&
                             std::isupper(static_cast<unsigned char>(value[1]));
    if (!value.empty() && !two_letters) {
        return "expected a two-letter region code such as GB, or nothing";
    }
    config.phone_default_region = std::string(value);
    return {};
}

// Calling codes separated by spaces or commas: "44 49 1".
std::string set_sms_allowed_countries(Config& config, std::string_view value) {
    std::vector<std::string> codes;
    std::string current;
    for (const char c : std::string(value) + " ") {
        if (c == ' ' || c == ',' || c == '\t') {
            if (!current.empty()) {
                codes.push_back(current);
                current.clear();
            }
        } else if (c >= '0' && c <= '9' && current.size() < 3) {
            current.push_back(c);
        } else {
            return "expected country calling codes of 1 to 3 digits, like \"44 49 1\"";
        }
    }
    config.sms_allowed_countries = std::move(codes);
    return {};
}

std::string set_store(Config& config, std::string_view value) {
    if (value == "files") {
        config.store = StoreKind::files;
    } else if (value == "local") {
        config.store = StoreKind::local;
    } else if (value == "postgresql") {
        config.store = StoreKind::postgresql;
    } else {
        return "expected files, local or postgresql";
    }
    return {};
}

std::string set_store_url(Config& config, std::string_view value) {
    if (has_control_characters(value)) {
        return "expected a libpq connection string or postgresql:// URI";
    }
    config.database.url = std::string(value);
    return {};
}

std::string set_store_timeout(Config& config, std::string_view value) {
    const auto milliseconds = parse_unsigned(value, 100, 60000);
    if (!milliseconds) {
        return "expected milliseconds from 100 to 60000";
    }
    config.database.timeout = std::chrono::milliseconds(*milliseconds);
    return {};
}

// A name this host goes by in the shared store: what hostname(1) could
// print, so that it is safe in logs and the audit table as it is.
std::string set_host_name(Config& config, std::string_view value) {
    // Empty: the system's host name.
    const bool fits = value.size() <= 253 && std::all_of(value.begin(), value.end(), [](char c) {
                          return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' ||
                                 c == '.' || c == '_';
                      });
    if (!fits) {
        return "expected a host name of letters, digits, '-', '.' and '_', or nothing";
    }
    config.database.host_name = std::string(value);
    return {};
}

std::string set_store_offline(Config& config, std::string_view value) {
    if (value == "deny") {
        config.database.offline = DatabaseStoreConfig::Offline::deny;
    } else if (value == "cache") {
        config.database.offline = DatabaseStoreConfig::Offline::cache;
    } else {
        return "expected deny or cache";
    }
    return {};
}

using V = std::string_view;

constexpr std::array<KeySetter, 37> general_keys = {{
    {"backup_code_count",
     [](Config& c, V v) { return set_unsigned(c.backup_code_count, v, 0, 64); }},
    {"backup_code_digits",
     [](Config& c, V v) { return set_unsigned(c.backup_code_digits, v, 9, 16); }},
    {"backup_code_iterations",
     [](Config& c, V v) { return set_unsigned(c.backup_code_iterations, v, 1000, 10'000'000); }},
    {"code_digits", [](Config& c, V v) { return set_unsigned(c.code_digits, v, 4, 10); }},
    {"debug", [](Config& c, V v) { return set_bool(c.debug, v); }},
    {"email_code_lifetime",
     [](Config& c, V v) { return set_unsigned(c.email_code_lifetime, v, 60, 3600); }},
    {"enrollment_path", [](Config& c, V v) { return set_text(c.enrollment_path, v, false); }},
    {"fail_delay_ms", [](Config& c, V v) { return set_unsigned(c.fail_delay_ms, v, 0, 60000); }},
    {"failmode", &set_failmode},
    {"fleet_max_sms_per_hour",
     [](Config& c, V v) { return set_unsigned(c.database.fleet_max_sms_per_hour, v, 0, 1000000); }},
    {"help_text", [](Config& c, V v) { return set_text(c.help_text, v, true); }},
    {"host_name", &set_host_name},
    {"issuer", [](Config& c, V v) { return set_text(c.issuer, v, true); }},
    {"lock_timeout_ms", &set_lock_timeout},
    {"max_attempts", [](Config& c, V v) { return set_unsigned(c.max_attempts, v, 1, 10); }},
    {"max_resends", [](Config& c, V v) { return set_unsigned(c.max_resends, v, 0, 10); }},
    {"max_sends_per_hour",
     [](Config& c, V v) { return set_unsigned(c.max_sends_per_hour, v, 1, 32); }},
    {"notify_changes", [](Config& c, V v) { return set_bool(c.notify_changes, v); }},
    {"notify_domain", &set_notify_domain},
    {"nullok", [](Config& c, V v) { return set_bool(c.nullok, v); }},
    {"phone_default_region", &set_phone_default_region},
    {"prompt", [](Config& c, V v) { return set_text(c.prompt, v, false); }},
    {"secret_bits", &set_secret_bits},
    {"send_cooldown", [](Config& c, V v) { return set_unsigned(c.send_cooldown, v, 0, 3600); }},
    {"sms_allowed_countries", &set_sms_allowed_countries},
    {"sms_code_lifetime",
     [](Config& c, V v) { return set_unsigned(c.sms_code_lifetime, v, 60, 3600); }},
    {"state_dir", &set_state_dir},
    {"store", &set_store},
    {"store_cache_ttl",
     [](Config& c, V v) { return set_unsigned(c.database.cache_ttl, v, 60, 90 * 24 * 3600); }},
    {"store_offline", &set_store_offline},
    {"store_timeout_ms", &set_store_timeout},
    {"store_url", &set_store_url},
    {"totp_algorithm", &set_totp_algorithm},
    {"totp_digits", &set_totp_digits},
    {"totp_period", &set_totp_period},
    {"totp_window", [](Config& c, V v) { return set_unsigned(c.totp_window, v, 0, 10); }},
    {"verify_helper", &set_verify_helper},
}};
static_assert(sorted_and_unique(general_keys));

}  // namespace

std::span<const KeySetter> general_key_setters() {
    return general_keys;
}

}  // namespace otpgate::core
