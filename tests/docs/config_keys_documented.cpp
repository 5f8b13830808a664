// Every key the parser accepts must appear, with its default, in the
// shipped example configuration; every key the example shows must parse.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "otpgate/core/config/config.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: config_keys_documented EXAMPLE_CONF\n";
        return 2;
    }
    std::ifstream file(argv[1]);
    std::stringstream buffer;
    buffer << file.rdbuf();
    const std::string text = buffer.str();
    if (text.empty()) {
        std::cerr << "cannot read " << argv[1] << "\n";
        return 1;
    }
    int missing = 0;
    for (const auto key : otpgate::core::known_config_keys()) {
        if (text.find("\n#" + std::string(key) + " =") == std::string::npos) {
            std::cerr << argv[1] << ": key '" << key << "' is not documented as '#" << key
                      << " = DEFAULT'\n";
            ++missing;
        }
    }
    // Uncommenting every documented default must give a valid config.
    std::string uncommented;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.size() > 1 && line[0] == '#' && line[1] != ' ' && line[1] != '-' &&
            line.find(" =") != std::string::npos) {
            line.erase(0, 1);
        }
        uncommented += line + "\n";
    }
    otpgate::core::CapturingLogger logger;
    otpgate::core::Config config;
    const bool parsed = otpgate::core::parse_config_text(config, uncommented, argv[1], logger);
    for (const auto& line : logger.lines()) {
        std::cerr << line.message << "\n";
    }
    if (!parsed || !logger.lines().empty()) {
        std::cerr << "the documented defaults do not parse cleanly\n";
        return 1;
    }
    const otpgate::core::Config defaults;
    if (config.prompt != defaults.prompt || config.max_attempts != defaults.max_attempts ||
        config.fail_delay_ms != defaults.fail_delay_ms ||
        config.totp_window != defaults.totp_window || config.totp.digits != defaults.totp.digits ||
        config.enrollment_path != defaults.enrollment_path ||
        config.state_dir != defaults.state_dir ||
        config.backup_code_count != defaults.backup_code_count) {
        std::cerr << "a documented default differs from the built-in default\n";
        return 1;
    }
    return missing == 0 ? 0 : 1;
}
