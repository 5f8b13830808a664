#include "otpgate/core/enrollment/backup_codes.hpp"

#include <stdexcept>

#include "otpgate/core/primitives/digest.hpp"
#include "otpgate/core/primitives/hex.hpp"
#include "otpgate/core/primitives/otp.hpp"

namespace otpgate::core {
namespace {

constexpr std::size_t hash_size = 32;

std::vector<std::uint8_t> new_salt(RandomSource& random, BackupCodeHashes& stored) {
    const SecretBytes salt = random_bytes(random, 16);
    stored.salt_hex = hex_encode(salt.data(), salt.size());
    return {salt.begin(), salt.end()};
}

}  // namespace

SecretBytes derive_backup_hash(std::string_view digits, const std::vector<std::uint8_t>& salt,
                               unsigned iterations) {
    SecretBytes out(hash_size);
    pbkdf2_sha256(digits, salt, iterations, out);
    return out;
}

bool is_backup_code_length(const BackupCodeHashes& stored, std::size_t length) {
    return stored.digits == 0 ? length > max_otp_digits : length == stored.digits;
}

bool is_any_backup_code_length(std::size_t length) {
    return length > max_otp_digits || length == imported_backup_code_digits;
}

bool backup_codes_usable(const BackupCodeHashes& stored, unsigned iterations) {
    return !stored.hashes_hex.empty() && stored.iterations == iterations;
}

std::optional<unsigned> find_backup_code(const BackupCodeHashes& stored, std::string_view digits,
                                         unsigned iterations, const BackupHashDerivation& derive) {
    if (digits.empty() || digits.size() > 64) {
        return std::nullopt;
    }
    // A salt of the size ours have: the decoy costs what a real check costs.
    static const std::vector<std::uint8_t> decoy_salt(16, 0);
    const auto salt = hex_decode(stored.salt_hex);
    const bool usable = salt && backup_codes_usable(stored, iterations);
    const SecretBytes typed_hash = derive(digits, usable ? *salt : decoy_salt, iterations);
    if (!usable) {
        return std::nullopt;
    }
    std::optional<unsigned> found;
    for (unsigned i = 0; i < stored.hashes_hex.size(); ++i) {
        const auto candidate = hex_decode(stored.hashes_hex[i]);
        const bool same = candidate && constant_time_equal(candidate->data(), candidate->size(),
                                                           typed_hash.data(), typed_hash.size());
        if (same && !found) {
            found = i;
        }
    }
    return found;
}

NewBackupCodes make_backup_codes(RandomSource& random, unsigned count, unsigned digits,
                                 unsigned iterations) {
    if (count > max_backup_codes || digits < min_backup_code_digits ||
        digits > max_backup_code_digits) {
        throw std::invalid_argument("backup codes: count or length out of range");
    }
    NewBackupCodes out;
    const std::vector<std::uint8_t> salt_copy = new_salt(random, out.stored);
    out.stored.iterations = iterations;
    while (out.codes.size() < count) {
        SecretString code = random_digits(random, digits);
        // Duplicates would make two codes one; with 10^10 values this almost never loops.
        bool duplicate = false;
        for (const auto& earlier : out.codes) {
            duplicate = duplicate || earlier.view() == code.view();
        }
        if (duplicate) {
            continue;
        }
        const SecretBytes hash = derive_backup_hash(code.view(), salt_copy, iterations);
        out.stored.hashes_hex.push_back(hex_encode(hash.data(), hash.size()));
        out.codes.push_back(std::move(code));
    }
    return out;
}

BackupCodeHashes hash_backup_codes(RandomSource& random, const std::vector<SecretString>& codes,
                                   unsigned digits, unsigned iterations) {
    if (codes.size() > max_backup_codes || !is_any_backup_code_length(digits) ||
        digits > max_backup_code_digits) {
        throw std::invalid_argument("backup codes: count or length out of range");
    }
    for (const auto& code : codes) {
        const auto view = code.view();
        if (view.size() != digits ||
            view.find_first_not_of("0123456789") != std::string_view::npos) {
            throw std::invalid_argument("backup codes: a code is not " + std::to_string(digits) +
                                        " digits");
        }
    }
    BackupCodeHashes out;
    const std::vector<std::uint8_t> salt = new_salt(random, out);
    out.iterations = iterations;
    out.digits = digits;
    for (const auto& code : codes) {
        const SecretBytes hash = derive_backup_hash(code.view(), salt, iterations);
        out.hashes_hex.push_back(hex_encode(hash.data(), hash.size()));
    }
    return out;
}

std::string format_backup_code(std::string_view digits) {
    const std::size_t half = (digits.size() + 1) / 2;
    return std::string(digits.substr(0, half)) + "-" + std::string(digits.substr(half));
}

}  // namespace otpgate::core
