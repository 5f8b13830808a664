#include "otpgate/core/config/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <map>
#include <variant>

#include <unistd.h>

#include "otpgate/core/config/config_setters.hpp"
#include "otpgate/core/primitives/destination.hpp"
#include "otpgate/core/system/safe_file.hpp"
#include "otpgate/core/system/safe_text.hpp"
#include "otpgate/core/primitives/text.hpp"

namespace otpgate::core {

std::optional<unsigned> parse_unsigned(std::string_view text, unsigned min, unsigned max) {
    unsigned value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr != end || text.empty() || value < min || value > max) {
        return std::nullopt;
    }
    return value;
}

std::optional<bool> parse_bool(std::string_view text) {
    const std::string lower = ascii_lowercase(text.substr(0, 8));
    if (lower == "yes" || lower == "true" || lower == "on" || lower == "1") {
        return true;
    }
    if (lower == "no" || lower == "false" || lower == "off" || lower == "0") {
        return false;
    }
    return std::nullopt;
}

Setter unsigned_setter(std::function<unsigned&(Config&)> field, unsigned min, unsigned max) {
    return [field = std::move(field), min, max](Config& config, std::string_view value) -> std::string {
        const auto parsed = parse_unsigned(value, min, max);
        if (!parsed) {
            return "expected a whole number from " + std::to_string(min) + " to " +
                   std::to_string(max);
        }
        field(config) = *parsed;
        return {};
    };
}

Setter bool_setter(std::function<bool&(Config&)> field) {
    return [field = std::move(field)](Config& config, std::string_view value) -> std::string {
        const auto parsed = parse_bool(value);
        if (!parsed) {
            return "expected yes or no";
        }
        field(config) = *parsed;
        return {};
    };
}

Setter text_setter(std::function<std::string&(Config&)> field, bool allow_empty,
                   std::size_t max_size) {
    return [field = std::move(field), allow_empty, max_size](Config& config,
                                                             std::string_view value) -> std::string {
        if (!allow_empty && value.empty()) {
            return "must not be empty";
        }
        if (value.size() > max_size || has_control_characters(value)) {
            return "must be at most " + std::to_string(max_size) + " printable characters";
        }
        field(config) = std::string(value);
        return {};
    };
}

namespace {

// Member pointers for the top-level keys read better in the table below.
Setter member_unsigned(unsigned Config::*member, unsigned min, unsigned max) {
    return unsigned_setter([member](Config& c) -> unsigned& { return c.*member; }, min, max);
}
Setter member_bool(bool Config::*member) {
    return bool_setter([member](Config& c) -> bool& { return c.*member; });
}
Setter member_text(std::string Config::*member, bool allow_empty) {
    return text_setter([member](Config& c) -> std::string& { return c.*member; }, allow_empty);
}

SetterTable make_setters() {
    SetterTable table = {
        {"enrollment_path", member_text(&Config::enrollment_path, false)},
        {"verify_helper",
         [](Config& config, std::string_view value) -> std::string {
             if (!value.empty() && (value.front() != '/' || has_control_characters(value))) {
                 return "expected an absolute path, or nothing";
             }
             config.verify_helper = std::string(value);
             return {};
         }},
        {"state_dir",
         [](Config& config, std::string_view value) -> std::string {
             if (value.empty() || value.front() != '/' || has_control_characters(value)) {
                 return "expected an absolute path";
             }
             config.state_dir = std::string(value);
             return {};
         }},
        {"lock_timeout_ms",
         [](Config& config, std::string_view value) -> std::string {
             const auto milliseconds = parse_unsigned(value, 100, 60000);
             if (!milliseconds) {
                 return "expected milliseconds from 100 to 60000";
             }
             config.lock_timeout = std::chrono::milliseconds(*milliseconds);
             return {};
         }},
        {"issuer", member_text(&Config::issuer, true)},
        {"totp_algorithm",
         [](Config& config, std::string_view value) -> std::string {
             const auto algorithm = parse_hash_algorithm(value);
             if (!algorithm) {
                 return "expected SHA1, SHA256 or SHA512";
             }
             config.totp.algorithm = *algorithm;
             return {};
         }},
        {"totp_digits",
         [](Config& config, std::string_view value) -> std::string {
             const auto digits = parse_unsigned(value, min_otp_digits, max_otp_digits);
             if (!digits) {
                 return "expected 6, 7 or 8";
             }
             config.totp.digits = *digits;
             return {};
         }},
        {"totp_period",
         [](Config& config, std::string_view value) -> std::string {
             const auto period = parse_unsigned(value, 10, 300);
             if (!period) {
                 return "expected seconds from 10 to 300";
             }
             config.totp.period = *period;
             return {};
         }},
        {"totp_window", member_unsigned(&Config::totp_window, 0, 10)},
        {"secret_bits",
         [](Config& config, std::string_view value) -> std::string {
             const auto bits = parse_unsigned(value, 128, 512);
             if (!bits || *bits % 8 != 0) {
                 return "expected a multiple of 8 from 128 to 512";
             }
             config.secret_bits = *bits;
             return {};
         }},
        {"backup_code_count", member_unsigned(&Config::backup_code_count, 0, 64)},
        {"backup_code_digits", member_unsigned(&Config::backup_code_digits, 9, 16)},
        {"backup_code_iterations",
         member_unsigned(&Config::backup_code_iterations, 1000, 10'000'000)},
        {"max_attempts", member_unsigned(&Config::max_attempts, 1, 10)},
        {"fail_delay_ms", member_unsigned(&Config::fail_delay_ms, 0, 60000)},
        {"prompt", member_text(&Config::prompt, false)},
        {"nullok", member_bool(&Config::nullok)},
        {"debug", member_bool(&Config::debug)},
        {"code_digits", member_unsigned(&Config::code_digits, 4, 10)},
        {"sms_code_lifetime", member_unsigned(&Config::sms_code_lifetime, 60, 3600)},
        {"email_code_lifetime", member_unsigned(&Config::email_code_lifetime, 60, 3600)},
        {"max_resends", member_unsigned(&Config::max_resends, 0, 10)},
        {"send_cooldown", member_unsigned(&Config::send_cooldown, 0, 3600)},
        {"max_sends_per_hour", member_unsigned(&Config::max_sends_per_hour, 1, 32)},
        {"failmode",
         [](Config& config, std::string_view value) -> std::string {
             if (value == "secure") {
                 config.failmode = Config::FailMode::secure;
             } else if (value == "safe") {
                 config.failmode = Config::FailMode::safe;
             } else {
                 return "expected secure or safe";
             }
             return {};
         }},
        {"help_text", member_text(&Config::help_text, true)},
        {"notify_changes", member_bool(&Config::notify_changes)},
        {"notify_domain",
         [](Config& config, std::string_view value) -> std::string {
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
         }},
        {"phone_default_region",
         [](Config& config, std::string_view value) -> std::string {
             const bool two_letters = value.size() == 2 && std::isupper(static_cast<unsigned char>(value[0])) &&
                                      std::isupper(static_cast<unsigned char>(value[1]));
             if (!value.empty() && !two_letters) {
                 return "expected a two-letter region code such as GB, or nothing";
             }
             config.phone_default_region = std::string(value);
             return {};
         }},
        {"sms_allowed_countries",
         [](Config& config, std::string_view value) -> std::string {
             // Calling codes separated by spaces or commas: "44 49 1".
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
         }},
    };
    add_delivery_settings(table);
    add_policy_settings(table);
    return table;
}

const SetterTable& setters() {
    static const SetterTable table = make_setters();
    return table;
}

}  // namespace

std::string SettingOrigin::describe() const {
    return line == 0 ? source : source + ":" + std::to_string(line);
}

bool apply_setting(Config& config, std::string_view key, std::string_view value,
                   const SettingOrigin& origin, Logger& logger) {
    const auto& table = setters();
    const auto found = table.find(key);
    if (found == table.end()) {
        // The logger escapes what the key holds; this keeps a long one short.
        logger.warning(origin.describe() + ": unknown key '" + one_line(key, 64) + "' ignored");
        return true;
    }
    const std::string problem = found->second(config, value);
    if (!problem.empty()) {
        logger.error(origin.describe() + ": bad value for " + std::string(key) + ": " + problem);
        return false;
    }
    return true;
}

Result<void> load_config_file(Config& config, const std::filesystem::path& path,
                              ConfigRequirement requirement, Logger& logger,
                              std::string_view service) {
    FileRules rules;
    rules.owner = geteuid();
    rules.also_allow_root_owner = true;
    rules.forbidden_mode_bits = 0022;
    rules.max_size = 64 * 1024;
    const auto text = read_checked(path, rules);
    if (!text) {
        if (text.error().kind == ErrorKind::not_found && requirement == ConfigRequirement::optional) {
            logger.debug("no config file " + path.string() + ", using built-in defaults");
            return {};
        }
        return make_error(text.error().kind, "config file " + text.error().message);
    }
    if (!parse_config_text(config, text->view(), path.string(), logger, service)) {
        return make_error(ErrorKind::invalid_input, "config file " + path.string() + " has errors");
    }
    return {};
}

ModuleArguments split_module_arguments(const std::vector<std::string_view>& argv) {
    ModuleArguments out;
    for (const std::string_view argument : argv) {
        const auto equals = argument.find('=');
        if (argument == "config") {
            out.config_path = std::filesystem::path();  // reported: not an absolute path
            continue;
        }
        if (equals == std::string_view::npos) {
            // Bare flags in Linux-PAM style: `debug`, `nullok`.
            out.settings.emplace_back(std::string(argument), "yes");
            continue;
        }
        const std::string key(argument.substr(0, equals));
        const std::string value(argument.substr(equals + 1));
        if (key == "config") {
            out.config_path = value;
        } else {
            out.settings.emplace_back(key, value);
        }
    }
    return out;
}

bool load_module_config(Config& config, const ModuleArguments& arguments, Logger& logger,
                        std::string_view service) {
    // `debug` among the arguments should also cover messages about the file.
    for (const auto& [key, value] : arguments.settings) {
        if (key == "debug" && parse_bool(value).value_or(false)) {
            logger.set_debug(true);
        }
    }
    const auto requirement =
        arguments.config_path ? ConfigRequirement::required : ConfigRequirement::optional;
    const std::filesystem::path path =
        arguments.config_path.value_or(std::filesystem::path(default_config_path));
    bool all_good = true;
    if (path.is_relative()) {
        logger.error("config=" + path.string() + ": expected an absolute path");
        all_good = false;
    } else if (const auto loaded = load_config_file(config, path, requirement, logger, service);
               !loaded) {
        logger.error(loaded.error().message);
        all_good = false;
    }
    const SettingOrigin origin{"module argument", 0};
    for (const auto& [key, value] : arguments.settings) {
        all_good = apply_setting(config, key, value, origin, logger) && all_good;
    }
    logger.set_debug(config.debug || logger.debug_enabled());
    return all_good;
}

std::vector<std::string_view> known_config_keys() {
    std::vector<std::string_view> keys;
    for (const auto& entry : setters()) {
        keys.push_back(entry.first);
    }
    return keys;
}

}  // namespace otpgate::core
