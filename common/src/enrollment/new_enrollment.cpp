#include "otpgate/core/enrollment/new_enrollment.hpp"

namespace otpgate::core {

NewEnrollment make_totp_enrollment(const Config& config, RandomSource& random, std::int64_t now) {
    NewEnrollment out;
    out.enrollment.method = Method::totp;
    out.enrollment.created = now;
    out.enrollment.totp_secret = random_bytes(random, config.secret_bits / 8);
    out.enrollment.totp = config.totp;
    out.backup_codes = renew_backup_codes(out.enrollment, config, random);
    return out;
}

std::vector<SecretString> renew_backup_codes(Enrollment& enrollment, const Config& config,
                                             RandomSource& random) {
    NewBackupCodes codes = make_backup_codes(
        random, config.backup_code_count, config.backup_code_digits, config.backup_code_iterations);
    enrollment.backup = std::move(codes.stored);
    enrollment.id = random_hex(random, 16);
    return std::move(codes.codes);
}

}  // namespace otpgate::core
