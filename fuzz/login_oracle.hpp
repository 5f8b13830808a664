// Which typed texts may rightly pass a fuzzed login (fuzz_login.cpp): the
// harness's own account of the rules, built from the RFC generator
// (core::hotp) and the stored backup hashes, not from the checks under
// test. Conservative: where the harness cannot tell, a text is allowed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fake_time.hpp"
#include "login_sandbox.hpp"
#include "login_world.hpp"

namespace otpgate::fuzz {

// Codes that must never pass again: from the state file before the login,
// and whatever the harness saw accepted.
struct SpentCodes {
    std::optional<std::int64_t> totp_through;  // every step up to this one
    std::uint64_t backups = 0;                 // bit i: backup code i
};

SpentCodes spent_codes_in(const StateSnapshot& state, const LoginWorld& world);

struct OracleFacts {
    const LoginWorld& world;
    SpentCodes spent;
    ObservedTimes times;                  // what time() returned during the login
    unsigned totp_window = 1;             // from the config the module read
    std::vector<std::string> sent_codes;  // written to an outbox during the login
    // The host's PBKDF2 count (backup_code_iterations): backup codes hashed
    // at any other count never match.
    unsigned backup_iterations = 0;
};

struct RightCode {
    enum class Kind { totp, backup, sent } kind = Kind::totp;
    std::int64_t step = 0;      // totp: the earliest unspent step it matches
    unsigned backup_index = 0;  // backup
};

// What `typed` is, if it may pass: checked as the module documents, TOTP
// first, then backup codes, then sent codes.
std::optional<RightCode> right_code(std::string_view typed, const OracleFacts& facts);

}  // namespace otpgate::fuzz
