// Where core code reports what happened. The PAM module logs through
// pam_syslog, the CLI to stderr, tests into a vector they can assert on.
// Messages quote text from outside (user names, remote hosts, lines of a
// user's file), so log() makes each one a safe single line (safe_text.hpp)
// before any implementation sees it: a Logger writes lines, never raw text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace otpgate::core {

enum class Severity { error, warning, notice, info, debug };

class Logger {
public:
    virtual ~Logger() = default;
    void log(Severity severity, std::string_view message);

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
    // One line, already safe (no control byte, at most max_log_line bytes).
    virtual void write(Severity severity, std::string_view line) = 0;

    bool m_debug = false;
};

class StderrLogger final : public Logger {
public:
    explicit StderrLogger(std::string prefix) : m_prefix(std::move(prefix)) {}

private:
    void write(Severity severity, std::string_view line) override;

    std::string m_prefix;
};

struct LogLine {
    Severity severity;
    std::string message;
};

// Records what a real sink would write: the safe lines, so that a test
// asserting a line asserts what an administrator would read.
class CapturingLogger final : public Logger {
public:
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
    void write(Severity severity, std::string_view line) override {
        m_lines.push_back({severity, std::string(line)});
    }

    std::vector<LogLine> m_lines;
};

}  // namespace otpgate::core
