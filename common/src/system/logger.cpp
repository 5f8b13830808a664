#include "otpgate/core/system/logger.hpp"

#include <cstdio>

#include "otpgate/core/system/safe_text.hpp"

namespace otpgate::core {

void Logger::log(Severity severity, std::string_view message) {
    write(severity, one_line(message, max_log_line));
}

void StderrLogger::write(Severity severity, std::string_view line) {
    const char* label = "";
    switch (severity) {
        case Severity::error: label = "error: "; break;
        case Severity::warning: label = "warning: "; break;
        case Severity::debug: label = "debug: "; break;
        case Severity::notice:
        case Severity::info: break;
    }
    write_line(stderr, m_prefix + ": " + label, line);
}

}  // namespace otpgate::core
