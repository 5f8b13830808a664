// Where core code reports what happened. The PAM module logs through
// pam_syslog, the CLI to stderr, tests into a vector they can assert on.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace otpgate::core {

enum class Severity { error, warning, notice, info, debug };

class Logger {
public:
    virtual ~Logger() = default;
    virtual void log(Severity severity, std::string_view message) = 0;

    void error(std::string_view m) { log(Severity::error, m); }
    void warning(std::string_view m) { log(Severity::warning, m); }
    void notice(std::string_view m) { log(Severity::notice, m); }
    void info(std::string_view m) { log(Severity::info, m); }
    // Debug lines are dropped unless the `debug` option is on.
    void debug(std::string_view m) {
        if (m_debug) {
            log(Severity::debug, m);
        }
    }
    void set_debug(bool on) noexcept { m_debug = on; }
    [[nodiscard]] bool debug_enabled() const noexcept { return m_debug; }

private:
    bool m_debug = false;
};

class StderrLogger final : public Logger {
public:
    explicit StderrLogger(std::string prefix) : m_prefix(std::move(prefix)) {}
    void log(Severity severity, std::string_view message) override;

private:
    std::string m_prefix;
};

struct LogLine {
    Severity severity;
    std::string message;
};

class CapturingLogger final : public Logger {
public:
    void log(Severity severity, std::string_view message) override {
        m_lines.push_back({severity, std::string(message)});
    }
    [[nodiscard]] const std::vector<LogLine>& lines() const noexcept { return m_lines; }
    [[nodiscard]] bool contains(std::string_view needle) const {
        for (const auto& line : m_lines) {
            if (line.message.find(needle) != std::string::npos) {
                return true;
            }
        }
        return false;
    }

private:
    std::vector<LogLine> m_lines;
};

}  // namespace otpgate::core
