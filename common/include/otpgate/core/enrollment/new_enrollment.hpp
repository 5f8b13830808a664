// Making a fresh enrollment from the configured defaults.
#pragma once

#include <cstdint>
#include <vector>

#include "otpgate/core/config/config.hpp"
#include "otpgate/core/enrollment/enrollment.hpp"
#include "otpgate/core/primitives/random.hpp"

namespace otpgate::core {

struct NewEnrollment {
    Enrollment enrollment;
    std::vector<SecretString> backup_codes;  // plain text, shown once, never stored
};

// A new secret of config.secret_bits, the configured TOTP parameters and a
// new set of backup codes, under a new id.
NewEnrollment make_totp_enrollment(const Config& config, RandomSource& random, std::int64_t now);

// Replaces the backup codes (and the id, so spent-code marks start over),
// keeping the secret. Returns the new codes in plain text.
std::vector<SecretString> renew_backup_codes(Enrollment& enrollment, const Config& config,
                                             RandomSource& random);

}  // namespace otpgate::core
