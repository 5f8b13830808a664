#include "otpgate/core/config/config.hpp"

#include <algorithm>
#include <initializer_list>

#include <unistd.h>

#include "config_setters.hpp"
#include "otpgate/core/system/safe_file.hpp"
#include "otpgate/core/system/safe_text.hpp"

namespace otpgate::core {

std::string SettingOrigin::describe() const {
    return line == 0 ? source : source + ":" + std::to_string(line);
}

bool apply_setting(Config& config, std::string_view key, std::string_view value,
                   const SettingOrigin& origin, Logger& logger) {
    const Setter setter = find_setter(key);
    if (setter == nullptr) {
        // The logger escapes what the key holds; this keeps a long one short.
        logger.warning(origin.describe() + ": unknown key '" + one_line(key, 64) + "' ignored");
        return true;
    }
    const std::string problem = setter(config, value);
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
        if (text.error().kind == ErrorKind::not_found &&
            requirement == ConfigRequirement::optional) {
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

std::string_view to_string(StoreKind kind) {
    switch (kind) {
        case StoreKind::files: return "files";
        case StoreKind::local: return "local";
        case StoreKind::postgresql: return "postgresql";
    }
    return "?";
}

std::vector<std::string_view> known_config_keys() {
    std::vector<std::string_view> keys;
    for (const auto table : {general_key_setters(), delivery_key_setters(), policy_key_setters()}) {
        for (const auto& entry : table) {
            keys.push_back(entry.key);
        }
    }
    std::sort(keys.begin(), keys.end());
    return keys;
}

}  // namespace otpgate::core
