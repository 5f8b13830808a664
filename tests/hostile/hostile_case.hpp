// The rows of the hostile table (hostile_cases.cpp): what a row is, and the
// setups, replies and extra checks the rows are written with.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "hostile_world.hpp"

namespace otpgate::hostile_tests {

using Setup = std::function<void(World&)>;

// What alice's files held just before the login.
struct Before {
    std::optional<std::string> enrollment;
    std::optional<std::string> state;
};
using Check = std::function<void(World&, const LoginResult&, const Before&)>;

struct HostileCase {
    std::string name;
    Setup setup;
    std::optional<std::string> user;  // nullopt: none given, PAM asks for it
    std::vector<Reply> replies;       // text may hold {code}, {wrong}, {backup}, {code:user}, ...
    int expected_rc;
    std::string expected_log;
    Check check = nullptr;  // anything else the row asserts
};

// gtest prints a row by its name, not as bytes.
inline void PrintTo(const HostileCase& row, std::ostream* out) {
    *out << row.name;
}

// ---- replies ----------------------------------------------------------------

inline Reply text(std::string value) {
    return {Reply::Kind::text, std::move(value)};
}
inline std::vector<Reply> answer(std::string value) {
    return {text(std::move(value))};
}
inline const std::vector<Reply> null_response = {{Reply::Kind::null_response, {}}};
inline const std::vector<Reply> null_reply_array = {{Reply::Kind::null_reply_array, {}}};
inline const std::vector<Reply> conversation_error = {{Reply::Kind::conversation_error, {}}};
inline const std::vector<Reply> no_reply = {};

// ---- setups (alice is enrolled for TOTP unless said otherwise) ----------------

void totp_alice(World& world);
Setup with_config(std::string lines);
// The config path replaced by what `make` creates, or by this whole text.
Setup config_file(std::function<void(const std::filesystem::path&)> make);
Setup config_text(std::string content, mode_t mode = 0600);

std::filesystem::path enrollment_of(World& world, const std::string& user = "alice");
// alice's enrollment file damaged in place, rewritten, or moved aside and
// replaced by something else.
Setup enrollment(std::function<void(World&, const std::filesystem::path&)> damage);
Setup enrollment_text(std::function<std::string(const std::string&)> rewrite);
Setup enrollment_replaced(std::function<void(const std::filesystem::path&)> make);
void home_read_only(World& world);
void home_full(World& world);

// alice logged in once (her state exists, that code is spent), the clock
// moved on a period; then her state file is damaged or replaced.
Setup state(std::function<void(World&, const std::filesystem::path&)> damage);
Setup state_replaced(std::function<void(const std::filesystem::path&)> make);
void overwrite(const std::filesystem::path& path, std::size_t offset, std::string_view bytes);
enum class Fs { read_only, full };
Setup state_on_tmpfs(Fs how, bool has_state, bool has_fence = true);
Setup locked_out_then(std::int64_t clock_step);

// A user that exists only under this odd name, enrolled.
Setup odd_user(std::string name);

inline const std::string sms_number = "+447700900123";
// alice enrolled for SMS (verified) against tests/hostile/hostile_gateway.py.
Setup sms_gateway(std::string mode, std::string extra = "");
void sms_state_read_only(World& world);
// alice enrolled for email against tests/hostile/dropping_smtp.py.
Setup smtp_server(std::string mode);

// ---- extra checks -----------------------------------------------------------

extern const Check gateway_asked_once;
extern const Check within_timeout;  // delivery_timeout_ms = 1000, plus 0.8 s
extern const Check smtp_dropped;
extern const Check spent_code_stays_spent;
extern const Check state_kept;  // an unreadable state is neither reset nor rewritten

}  // namespace otpgate::hostile_tests
