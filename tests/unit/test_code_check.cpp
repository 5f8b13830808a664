// check_code and adopt_enrollment: which typed codes log a user in, once.
#include <string>

#include <gtest/gtest.h>

#include "otpgate/core/login/code_check.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

class CodeCheck : public ::testing::Test {
protected:
    Enrollment enrollment;
    std::vector<std::string> backup_codes;
    std::vector<std::string> hotp_codes;  // RFC 4226 Appendix D, index = step
    UserState state;

    void SetUp() override {
        for (const auto& row : test::read_table("rfc4226_hotp.txt")) {
            hotp_codes.push_back(row[3]);
        }
        ASSERT_EQ(hotp_codes.size(), 10u);
        enrollment.id = "0123456789abcdef0123456789abcdef";
        enrollment.totp_secret = test::bytes_of("12345678901234567890");
        enrollment.totp = TotpParameters{HashAlgorithm::sha1, 6, 30};
        OpenSslRandom random;
        auto made = make_backup_codes(random, 3, 10, 1000);
        enrollment.backup = made.stored;
        for (const auto& code : made.codes) {
            backup_codes.push_back(test::text_of(code));
        }
    }
    static std::int64_t in_step(std::int64_t step) { return step * 30 + 5; }
    // The host's settings: the count the fixture's codes were hashed with.
    static CheckCost cost(unsigned window) {
        CheckCost out;
        out.backup_iterations = 1000;
        out.totp_window = window;
        return out;
    }
};

TEST_F(CodeCheck, TotpAcceptedThenReplayed) {
    EXPECT_EQ(check_code(enrollment, state, hotp_codes[5], in_step(5), cost(1)),
              CodeVerdict::accepted_totp);
    EXPECT_EQ(state.last_totp_step, std::optional<std::int64_t>(5));
    EXPECT_EQ(state.enrollment_id, enrollment.id);
    EXPECT_EQ(check_code(enrollment, state, hotp_codes[5], in_step(5), cost(1)),
              CodeVerdict::replayed);
    EXPECT_EQ(state.last_totp_step, std::optional<std::int64_t>(5));
    // The next step's code is still good, and then the older one is spent.
    EXPECT_EQ(check_code(enrollment, state, hotp_codes[6], in_step(5), cost(1)),
              CodeVerdict::accepted_totp);
    EXPECT_EQ(state.last_totp_step, std::optional<std::int64_t>(6));
    EXPECT_EQ(check_code(enrollment, state, hotp_codes[4], in_step(5), cost(1)),
              CodeVerdict::replayed);
}

TEST_F(CodeCheck, BackupCodeAcceptedOnceThenReplayed) {
    EXPECT_EQ(check_code(enrollment, state, backup_codes[1], in_step(5), cost(1)),
              CodeVerdict::accepted_backup);
    EXPECT_EQ(state.backup_used_mask, 0b010u);
    EXPECT_EQ(check_code(enrollment, state, backup_codes[1], in_step(5), cost(1)),
              CodeVerdict::replayed);
    EXPECT_EQ(state.backup_used_mask, 0b010u);
    EXPECT_EQ(check_code(enrollment, state, backup_codes[2], in_step(5), cost(1)),
              CodeVerdict::accepted_backup);
    EXPECT_EQ(state.backup_used_mask, 0b110u);
    EXPECT_FALSE(state.last_totp_step.has_value());
}

TEST_F(CodeCheck, WrongCodes) {
    for (const std::string code : {"000000", "0000000", "00000000", "0000000000", "1", ""}) {
        EXPECT_EQ(check_code(enrollment, state, code, in_step(5), cost(1)), CodeVerdict::wrong)
            << code;
    }
    // A TOTP code two steps away, a backup code with a digit missing.
    EXPECT_EQ(check_code(enrollment, state, hotp_codes[7], in_step(5), cost(1)),
              CodeVerdict::wrong);
    EXPECT_EQ(check_code(enrollment, state, backup_codes[0].substr(1), in_step(5), cost(1)),
              CodeVerdict::wrong);
    EXPECT_FALSE(state.last_totp_step.has_value());
    EXPECT_EQ(state.backup_used_mask, 0u);
}

TEST_F(CodeCheck, WithoutBackupCodesLongCodesAreWrong) {
    const std::string code = backup_codes[0];
    enrollment.backup.hashes_hex.clear();
    EXPECT_EQ(check_code(enrollment, state, code, in_step(5), cost(1)), CodeVerdict::wrong);
}

TEST_F(CodeCheck, EightDigitTotpEnrollments) {
    enrollment.totp.digits = 8;
    // RFC 6238: "94287082" at T=59 for this seed with SHA1 and 8 digits.
    EXPECT_EQ(check_code(enrollment, state, "94287082", 59, cost(0)), CodeVerdict::accepted_totp);
    EXPECT_EQ(check_code(enrollment, state, backup_codes[0], 59, cost(0)),
              CodeVerdict::accepted_backup);
}

TEST_F(CodeCheck, AdoptEnrollmentResetsMaskAndHostsOnNewIdButKeepsLastStep) {
    state.enrollment_id = "ffffffffffffffffffffffffffffffff";
    state.backup_used_mask = 0b111;
    state.last_totp_step = 9;
    state.remembered_hosts.push_back({{1, 2, 3}, 100});
    adopt_enrollment(state, enrollment);
    EXPECT_EQ(state.enrollment_id, enrollment.id);
    EXPECT_EQ(state.backup_used_mask, 0u);
    EXPECT_TRUE(state.remembered_hosts.empty());
    EXPECT_EQ(state.last_totp_step, std::optional<std::int64_t>(9));

    state.backup_used_mask = 0b001;
    state.remembered_hosts.push_back({{1, 2, 3}, 100});
    adopt_enrollment(state, enrollment);  // same id: the mask and the hosts stay
    EXPECT_EQ(state.backup_used_mask, 0b001u);
    EXPECT_EQ(state.remembered_hosts.size(), 1U);
}

TEST_F(CodeCheck, NewEnrollmentMakesItsBackupCodesUsableAndOldStepsStaySpent) {
    state.enrollment_id = "ffffffffffffffffffffffffffffffff";
    state.backup_used_mask = 0b111;  // spent codes of the old set
    state.last_totp_step = 5;
    EXPECT_EQ(check_code(enrollment, state, backup_codes[0], in_step(5), cost(1)),
              CodeVerdict::accepted_backup);
    EXPECT_EQ(state.backup_used_mask, 0b001u);
    EXPECT_EQ(check_code(enrollment, state, hotp_codes[5], in_step(5), cost(1)),
              CodeVerdict::replayed);
}

TEST_F(CodeCheck, ImportedEightDigitBackupCodes) {
    // google-authenticator's scratch codes: 8 digits next to 6-digit TOTP codes.
    OpenSslRandom random;
    enrollment.backup = hash_backup_codes(random, {SecretString("12345678")}, 8, 1000);
    EXPECT_EQ(check_code(enrollment, state, "1234567", in_step(5), cost(1)), CodeVerdict::wrong);
    EXPECT_EQ(check_code(enrollment, state, "12345678", in_step(5), cost(1)),
              CodeVerdict::accepted_backup);
    EXPECT_EQ(check_code(enrollment, state, "12345678", in_step(5), cost(1)),
              CodeVerdict::replayed);
    EXPECT_EQ(check_code(enrollment, state, hotp_codes[5], in_step(5), cost(1)),
              CodeVerdict::accepted_totp);
}

TEST(CodeVerdictNames, AreDistinct) {
    EXPECT_NE(to_string(CodeVerdict::accepted_totp), to_string(CodeVerdict::accepted_backup));
    EXPECT_NE(to_string(CodeVerdict::wrong), to_string(CodeVerdict::replayed));
}

}  // namespace
}  // namespace otpgate::core
