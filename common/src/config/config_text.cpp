// The text of otpgate.conf: `key = value` lines, comments, quotes, and
// [service NAME...] sections.
#include <algorithm>
#include <variant>
#include <vector>

#include "config_setters.hpp"
#include "otpgate/core/config/config.hpp"
#include "otpgate/core/primitives/text.hpp"

namespace otpgate::core {
namespace {

// Values may be written in double quotes to keep leading or trailing spaces.
std::optional<std::string_view> unquote(std::string_view value) {
    if (!value.empty() && value.front() == '"') {
        if (value.size() < 2 || value.back() != '"') {
            return std::nullopt;
        }
        return value.substr(1, value.size() - 2);
    }
    return value;
}

// Where every login and the otpgate command must agree: a service section
// cannot move them.
bool global_only(std::string_view key) {
    return key == "state_dir" || key == "enrollment_path" || key == "verify_helper" ||
           key == "store" || key.starts_with("store_") || key == "host_name" ||
           key == "fleet_max_sms_per_hour";
}

// `[service sshd sudo]`: the service names, or what is wrong.
std::variant<std::vector<std::string>, std::string> parse_section_header(std::string_view line) {
    if (line.size() < 2 || line.back() != ']') {
        return std::string("expected a section header like [service sudo]");
    }
    std::vector<std::string> words;
    std::string_view inside = line.substr(1, line.size() - 2);
    while (!(inside = trim_blanks(inside)).empty()) {
        const auto end = inside.find_first_of(" \t");
        words.emplace_back(inside.substr(0, end));
        inside = end == std::string_view::npos ? std::string_view{} : inside.substr(end);
    }
    if (words.size() < 2 || words.front() != "service") {
        return std::string(
            "expected a section header like [service sudo] (service names after "
            "the word service)");
    }
    words.erase(words.begin());
    for (const auto& name : words) {
        if (name.size() > 64 || has_control_characters(name) ||
            name.find_first_of("[]=") != std::string::npos) {
            return "'" + name + "' is not a PAM service name";
        }
    }
    return words;
}

}  // namespace

bool parse_config_text(Config& config, std::string_view text, const std::string& source_name,
                       Logger& logger, std::string_view service) {
    bool all_good = true;
    unsigned line_number = 0;
    // Lines of sections for other services are checked on a scratch copy.
    bool in_section = false;
    bool section_applies = true;
    Config scratch;
    while (!text.empty()) {
        ++line_number;
        const auto newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);

        line = trim_blanks(line);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        const SettingOrigin origin{source_name, line_number};
        if (line.front() == '[') {
            auto names = parse_section_header(line);
            if (const auto* problem = std::get_if<std::string>(&names)) {
                logger.error(origin.describe() + ": " + *problem);
                all_good = false;
                section_applies = false;
            } else {
                const auto& services = std::get<std::vector<std::string>>(names);
                section_applies = !service.empty() && std::find(services.begin(), services.end(),
                                                                service) != services.end();
            }
            in_section = true;
            continue;
        }
        const auto equals = line.find('=');
        if (equals == std::string_view::npos) {
            logger.error(origin.describe() + ": expected 'key = value'");
            all_good = false;
            continue;
        }
        const std::string_view key = trim_blanks(line.substr(0, equals));
        const auto value = unquote(trim_blanks(line.substr(equals + 1)));
        if (!value) {
            logger.error(origin.describe() + ": unterminated quote");
            all_good = false;
            continue;
        }
        if (in_section && global_only(key)) {
            logger.error(origin.describe() + ": " + std::string(key) +
                         " cannot be set for a service: the otpgate command reads no section");
            all_good = false;
            continue;
        }
        Config& target = !in_section || section_applies ? config : scratch;
        all_good = apply_setting(target, key, *value, origin, logger) && all_good;
    }
    return all_good;
}

}  // namespace otpgate::core
