#include "terminal.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>

#include <termios.h>

#include "otpgate/core/system/safe_text.hpp"

namespace otpgate::cli {
namespace {

// More than any code anyone types; the rest of a longer line is read and
// dropped, and what is kept is too long to pass as a code.
constexpr std::size_t max_kept_characters = 128;

constexpr std::array<int, 5> terminating_signals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};

// Shared with the signal handler, which may only use async-signal-safe calls.
termios g_saved_terminal{};
volatile std::sig_atomic_t g_hidden_fd = -1;
std::array<struct sigaction, terminating_signals.size()> g_previous_actions{};

std::size_t signal_slot(int signal_number) {
    for (std::size_t i = 0; i < terminating_signals.size(); ++i) {
        if (terminating_signals[i] == signal_number) {
            return i;
        }
    }
    return 0;
}

// Ctrl-C while typing must not leave the terminal without echo: restore
// it, then let the signal do what it would have done.
void restore_echo_and_reraise(int signal_number) {
    const int saved_errno = errno;  // Ctrl-Z comes back here and reads on
    if (g_hidden_fd >= 0) {
        tcsetattr(g_hidden_fd, TCSANOW, &g_saved_terminal);
    }
    sigaction(signal_number, &g_previous_actions[signal_slot(signal_number)], nullptr);
    raise(signal_number);
    errno = saved_errno;
}

// Echo off while alive; the newline the person types is still echoed.
class HiddenTyping {
public:
    explicit HiddenTyping(int fd) : m_fd(fd) {
        if (tcgetattr(fd, &g_saved_terminal) != 0) {
            return;  // not a terminal after all: nothing to hide
        }
        struct sigaction action {};
        action.sa_handler = restore_echo_and_reraise;
        sigemptyset(&action.sa_mask);
        for (std::size_t i = 0; i < terminating_signals.size(); ++i) {
            sigaction(terminating_signals[i], nullptr, &g_previous_actions[i]);
            // A signal the caller ignores (nohup, a trap '' in a script)
            // stays ignored: it neither ends the program nor shows the code.
            if (g_previous_actions[i].sa_handler != SIG_IGN) {
                sigaction(terminating_signals[i], &action, nullptr);
            }
        }
        g_hidden_fd = fd;
        termios hidden = g_saved_terminal;
        hidden.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        hidden.c_lflag |= ECHONL;
        // TCSANOW, not TCSAFLUSH: a code typed (or pasted) as soon as the
        // prompt appears must not be thrown away.
        m_active = tcsetattr(fd, TCSANOW, &hidden) == 0;
        if (!m_active) {
            restore_signals();
        }
    }
    ~HiddenTyping() {
        if (m_active) {
            tcsetattr(m_fd, TCSANOW, &g_saved_terminal);
            restore_signals();
        }
    }
    HiddenTyping(const HiddenTyping&) = delete;
    HiddenTyping& operator=(const HiddenTyping&) = delete;

private:
    static void restore_signals() noexcept {
        g_hidden_fd = -1;
        for (std::size_t i = 0; i < terminating_signals.size(); ++i) {
            sigaction(terminating_signals[i], &g_previous_actions[i], nullptr);
        }
    }

    int m_fd;
    bool m_active = false;
};

void show_prompt(std::string_view prompt, bool end_line) {
    if (prompt.empty()) {
        return;  // a code handed over through a pipe, by a program
    }
    std::fflush(stdout);
    core::write_text(stderr, prompt);
    if (end_line) {
        std::fputc('\n', stderr);
    }
    std::fflush(stderr);
}

}  // namespace

bool is_terminal(int fd) {
    return isatty(fd) == 1;
}

CodeReader::CodeReader(int fd) : m_fd(fd), m_interactive(is_terminal(fd)) {}

std::optional<core::SecretString> CodeReader::read_code(std::string_view prompt) {
    if (!m_interactive) {
        // A pipe echoes nothing, so the prompt gets its own line in a log.
        show_prompt(prompt, true);
        return read_line();
    }
    // Echo goes off before the prompt shows, so nothing typed at once is echoed.
    const HiddenTyping hidden(m_fd);
    show_prompt(prompt, false);
    return read_line();
}

// Byte by byte with read(2): no stdio buffer keeps a copy of the code, and
// nothing past the line is consumed from a pipe that holds further answers.
std::optional<core::SecretString> CodeReader::read_line() {
    core::SecretString line;
    bool got_any = false;
    while (true) {
        char c = 0;
        const ssize_t got = ::read(m_fd, &c, 1);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            // A hung-up terminal or a broken pipe: no answer, so nothing changes.
            return std::nullopt;
        }
        if (got == 0) {
            // A last line without a newline (`printf 123456 | otpgate ...`) counts.
            return got_any ? std::optional<core::SecretString>(std::move(line)) : std::nullopt;
        }
        got_any = true;
        if (c == '\n') {
            return line;
        }
        if (c != '\r' && line.size() < max_kept_characters) {
            line.push_back(c);
        }
        c = 0;
    }
}

}  // namespace otpgate::cli
