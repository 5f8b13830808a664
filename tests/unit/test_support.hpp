// Helpers shared by the unit tests: temporary directories, scripted
// dependencies (random source, clock, conversation), data files and child
// processes. Nothing here computes an expected result.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "forked_child.hpp"
#include "otpgate/core/config/config.hpp"
#include "otpgate/core/login/login_session.hpp"
#include "otpgate/core/primitives/random.hpp"
#include "otpgate/core/primitives/secret.hpp"
#include "otpgate/core/system/clock.hpp"
#include "otpgate/core/system/user_account.hpp"
#include "test_files.hpp"

namespace otpgate::test {

// Files under tests/data.
std::filesystem::path data_path(std::string_view name);
// The lines of a data file split on blanks; '#' lines and blank lines are
// skipped. A field in single quotes may be empty or contain blanks.
std::vector<std::vector<std::string>> read_table(std::string_view name);

// Names in a directory, sorted.
std::vector<std::string> list_directory(const std::filesystem::path& path);
mode_t file_mode(const std::filesystem::path& path);  // permission bits, lstat
uid_t file_owner(const std::filesystem::path& path);

core::SecretBytes bytes_of(std::string_view text);
std::string text_of(const core::SecretString& secret);
std::vector<std::uint8_t> from_hex(std::string_view hex);

bool running_as_root();

// For logins run without PAM: the account running the tests (root in CI,
// so no identity switch happens), and a config that keeps its enrollment
// (%u.enrollment) and state under `dir`, with backup codes hashed at the
// fewest rounds the parser accepts (fast_backup_iterations).
inline constexpr unsigned fast_backup_iterations = 1000;
core::UserAccount running_account();
core::Config login_config_in(const TempDir& dir);

struct CommandResult {
    int exit_code = -1;  // -1 when it did not exit normally
    std::string output;  // stdout
};
// fork + execv, no shell; stderr goes to the test's stderr.
CommandResult run_command(const std::vector<std::string>& argv);

// Hands out scripted 64-bit values, each as the bytes uniform_below reads
// (native byte order); fails the test if drained.
class ScriptedRandom final : public core::RandomSource {
public:
    explicit ScriptedRandom(std::vector<std::uint64_t> values)
        : m_values(values.begin(), values.end()) {}
    void fill(std::uint8_t* out, std::size_t size) override;
    [[nodiscard]] std::size_t remaining() const noexcept { return m_values.size(); }
    [[nodiscard]] std::size_t fills() const noexcept { return m_fills; }

private:
    std::deque<std::uint64_t> m_values;
    std::size_t m_fills = 0;
};

class FakeClock final : public core::Clock {
public:
    explicit FakeClock(std::int64_t now) : m_now(now) {}
    [[nodiscard]] std::int64_t now() const override { return m_now; }
    void sleep_for(std::chrono::milliseconds duration) const override {
        m_sleeps.push_back(duration);
    }
    void set(std::int64_t now) { m_now = now; }
    [[nodiscard]] const std::vector<std::chrono::milliseconds>& sleeps() const { return m_sleeps; }

private:
    std::int64_t m_now;
    mutable std::vector<std::chrono::milliseconds> m_sleeps;
};

// Answers prompts from a list; nullopt in the list (or running out) is a
// failed conversation.
class ScriptedConversation final : public core::Conversation {
public:
    explicit ScriptedConversation(std::vector<std::optional<std::string>> answers)
        : m_answers(answers.begin(), answers.end()) {}
    std::optional<core::SecretString> ask_hidden(std::string_view prompt) override;
    void show_error(std::string_view message) override { m_errors.emplace_back(message); }
    [[nodiscard]] const std::vector<std::string>& prompts() const { return m_prompts; }
    [[nodiscard]] const std::vector<std::string>& errors() const { return m_errors; }

private:
    std::deque<std::optional<std::string>> m_answers;
    std::vector<std::string> m_prompts;
    std::vector<std::string> m_errors;
};

}  // namespace otpgate::test
