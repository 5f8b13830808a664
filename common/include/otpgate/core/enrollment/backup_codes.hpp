// One-time backup codes: shown once at enrollment, stored only as hashes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otpgate/core/primitives/random.hpp"
#include "otpgate/core/primitives/secret.hpp"

namespace otpgate::core {

inline constexpr unsigned max_backup_codes = 64;       // one bit each in the state record
inline constexpr unsigned min_backup_code_digits = 9;  // longer than any TOTP code (check_code)
inline constexpr unsigned max_backup_code_digits = 16;

struct BackupCodeHashes {
    std::string salt_hex;  // one random salt for the set
    // PBKDF2-HMAC-SHA256 rounds the set was hashed with. Recorded in a file
    // the user can write, so never what a check costs: checks derive at the
    // host's count (backup_code_iterations), and a set hashed at another
    // count matches nothing.
    unsigned iterations = 0;
    std::vector<std::string> hashes_hex;  // in the order the codes were shown
    // 0 for otpgate's own codes, which are told from TOTP codes by being
    // longer than any (min_backup_code_digits or more). Codes brought in
    // from elsewhere (google-authenticator's 8-digit scratch codes) have
    // their one length recorded here instead.
    unsigned digits = 0;
};

// The one length of codes brought in from elsewhere: google-authenticator's
// scratch codes. No other imported length is accepted.
inline constexpr unsigned imported_backup_code_digits = 8;

// Whether a typed code of `length` digits is looked up among `stored`.
bool is_backup_code_length(const BackupCodeHashes& stored, std::size_t length);

// Whether a typed code of `length` digits is looked up as a backup code for
// some user: otpgate's own codes (longer than any TOTP code) and imported
// ones. What such a code costs must not depend on the user (code_check.hpp).
bool is_any_backup_code_length(std::size_t length);

struct NewBackupCodes {
    std::vector<SecretString> codes;  // plain text, to print once
    BackupCodeHashes stored;
};

// `iterations`: the host's count (Config::backup_code_iterations).
NewBackupCodes make_backup_codes(RandomSource& random, unsigned count, unsigned digits,
                                 unsigned iterations);

// Hashes codes made elsewhere, all of `digits` digits (a length
// is_any_backup_code_length accepts, at most max_backup_code_digits), under a
// new salt; the set records its length. Throws std::invalid_argument for
// more than max_backup_codes codes or a code of another length or with a
// non-digit.
BackupCodeHashes hash_backup_codes(RandomSource& random, const std::vector<SecretString>& codes,
                                   unsigned digits, unsigned iterations);

// "12345-67890": grouped for reading; the dash is ignored when typed.
std::string format_backup_code(std::string_view digits);

// PBKDF2-HMAC-SHA256 of a code under `salt`: what makes a stolen hash slow
// to guess, and the one costly step of checking a typed code.
SecretBytes derive_backup_hash(std::string_view digits, const std::vector<std::uint8_t>& salt,
                               unsigned iterations);

// How a check derives; tests pass one that counts what an answer costs.
using BackupHashDerivation = std::function<SecretBytes(
    std::string_view digits, const std::vector<std::uint8_t>& salt, unsigned iterations)>;

// Whether `stored` holds codes that can be checked on a host whose count is
// `iterations`.
bool backup_codes_usable(const BackupCodeHashes& stored, unsigned iterations);

// The index of the code equal to `digits`, whether spent or not. Costs one
// derivation at `iterations` (the host's count) for any code of 1 to 64
// digits, whatever `stored` holds: a set without codes, with a damaged
// salt or hashed at another count is checked against a decoy salt instead,
// and matches nothing. Compares against every stored hash in constant time.
std::optional<unsigned> find_backup_code(const BackupCodeHashes& stored, std::string_view digits,
                                         unsigned iterations,
                                         const BackupHashDerivation& derive = derive_backup_hash);

}  // namespace otpgate::core
