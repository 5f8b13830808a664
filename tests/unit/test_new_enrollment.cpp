#include <string>

#include <gtest/gtest.h>

#include "otpgate/core/enrollment/enrollment.hpp"
#include "otpgate/core/enrollment/new_enrollment.hpp"
#include "otpgate/core/primitives/hex.hpp"

namespace otpgate::core {
namespace {

TEST(NewEnrollment, FollowsTheConfig) {
    Config config;
    config.secret_bits = 256;
    config.totp = TotpParameters{HashAlgorithm::sha512, 7, 60};
    config.backup_code_count = 4;
    config.backup_code_digits = 12;
    OpenSslRandom random;
    const auto made = make_totp_enrollment(config, random, 1700000000);
    EXPECT_EQ(made.enrollment.totp_secret.size(), 32u);
    EXPECT_EQ(made.enrollment.totp.algorithm, HashAlgorithm::sha512);
    EXPECT_EQ(made.enrollment.totp.digits, 7u);
    EXPECT_EQ(made.enrollment.totp.period, 60u);
    EXPECT_EQ(made.enrollment.created, 1700000000);
    EXPECT_EQ(made.enrollment.id.size(), 32u);
    EXPECT_TRUE(is_lower_hex(made.enrollment.id));
    ASSERT_EQ(made.backup_codes.size(), 4u);
    EXPECT_EQ(made.backup_codes[0].size(), 12u);
    EXPECT_EQ(find_backup_code(made.enrollment.backup, made.backup_codes[3].view(),
                               config.backup_code_iterations),
              std::optional<unsigned>(3));
    // What is made can be written and read back.
    const auto parsed = parse_enrollment(serialize_enrollment(made.enrollment).view());
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed->totp_secret, made.enrollment.totp_secret);
}

TEST(NewEnrollment, RenewingBackupCodesKeepsTheSecretAndChangesTheId) {
    Config config;
    config.backup_code_count = 2;
    OpenSslRandom random;
    auto made = make_totp_enrollment(config, random, 0);
    const SecretBytes secret = made.enrollment.totp_secret;
    const std::string old_id = made.enrollment.id;
    const auto old_hashes = made.enrollment.backup.hashes_hex;
    const auto codes = renew_backup_codes(made.enrollment, config, random);
    EXPECT_EQ(made.enrollment.totp_secret, secret);
    EXPECT_NE(made.enrollment.id, old_id);
    EXPECT_NE(made.enrollment.backup.hashes_hex, old_hashes);
    ASSERT_EQ(codes.size(), 2u);
    EXPECT_FALSE(find_backup_code(made.enrollment.backup, made.backup_codes[0].view(),
                                  config.backup_code_iterations)
                     .has_value());
    EXPECT_TRUE(
        find_backup_code(made.enrollment.backup, codes[0].view(), config.backup_code_iterations)
            .has_value());
}

}  // namespace
}  // namespace otpgate::core
