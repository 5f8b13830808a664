// From a google-authenticator file to an otpgate enrollment: what is
// carried over, what is refused, and what the report says. Files come from
// tests/data/google_authenticator (made by the real tools) or are written
// here where a case needs a value the tool does not write.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "otpgate/core/enrollment/google_authenticator_import.hpp"
#include "otpgate/core/login/code_check.hpp"
#include "otpgate/core/primitives/base32.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

constexpr std::int64_t now = 1700000050;  // just after the fixtures' logins

GoogleAuthenticatorFile file_from(const std::string& text) {
    auto parsed = parse_google_authenticator_file(text);
    EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
    return parsed.ok() ? std::move(parsed.value()) : GoogleAuthenticatorFile{};
}

GoogleAuthenticatorFile fixture(const std::string& name) {
    return file_from(test::read_file(test::data_path("google_authenticator/" + name)));
}

GoogleAuthenticatorImport import_ok(const GoogleAuthenticatorFile& file,
                                    const Config& config = {}) {
    OpenSslRandom random;
    auto imported = import_google_authenticator(file, config, random, now);
    EXPECT_TRUE(imported.ok()) << (imported.ok() ? "" : imported.error().message);
    return imported.ok() ? std::move(imported.value()) : GoogleAuthenticatorImport{};
}

std::string refusal(const std::string& text) {
    OpenSslRandom random;
    const auto imported = import_google_authenticator(file_from(text), Config{}, random, now);
    EXPECT_FALSE(imported.ok()) << text;
    if (imported.ok()) {
        return {};
    }
    EXPECT_EQ(imported.error().kind, ErrorKind::invalid_input);
    return imported.error().message;
}

std::string all_lines(const GoogleAuthenticatorImport& imported) {
    std::string out;
    for (const auto* list : {&imported.carried, &imported.not_carried}) {
        for (const auto& line : *list) {
            out += line + "\n";
        }
    }
    return out;
}

TEST(GoogleAuthenticatorImport, SameSecretAndParametersScratchCodesAsBackupCodes) {
    const auto file = fixture("totp_interactive.txt");
    const auto imported = import_ok(file);
    const Enrollment& enrollment = imported.enrollment;
    EXPECT_EQ(enrollment.method, Method::totp);
    EXPECT_EQ(enrollment.totp_secret, file.secret);
    EXPECT_EQ(enrollment.totp.algorithm, HashAlgorithm::sha1);
    EXPECT_EQ(enrollment.totp.digits, 6u);
    EXPECT_EQ(enrollment.totp.period, 30u);
    EXPECT_EQ(enrollment.created, now);
    EXPECT_EQ(enrollment.backup.digits, 8u);
    ASSERT_EQ(enrollment.backup.hashes_hex.size(), file.scratch_codes.size());
    for (unsigned i = 0; i < file.scratch_codes.size(); ++i) {
        EXPECT_EQ(find_backup_code(enrollment.backup, file.scratch_codes[i].view(),
                                   default_backup_iterations),
                  std::optional<unsigned>(i));
    }
    // Written and read back, the enrollment is the same, length included.
    const auto parsed = parse_enrollment(serialize_enrollment(enrollment).view());
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed->totp_secret, file.secret);
    EXPECT_EQ(parsed->backup.digits, 8u);
    EXPECT_EQ(parsed->backup.hashes_hex, enrollment.backup.hashes_hex);
}

TEST(GoogleAuthenticatorImport, CodesLogInOnceThroughCheckCode) {
    const auto file = fixture("totp_interactive.txt");
    const auto imported = import_ok(file);
    UserState state;
    const std::string scratch(file.scratch_codes[2].view());
    EXPECT_EQ(check_code(imported.enrollment, state, scratch, now, check_cost(Config{})),
              CodeVerdict::accepted_backup);
    EXPECT_EQ(check_code(imported.enrollment, state, scratch, now, check_cost(Config{})),
              CodeVerdict::replayed);
    // Neither a scratch code cut to six digits nor a 9-digit code is a backup code.
    EXPECT_EQ(
        check_code(imported.enrollment, state, scratch.substr(0, 6), now, check_cost(Config{})),
        CodeVerdict::wrong);
    EXPECT_EQ(check_code(imported.enrollment, state, scratch + "0", now, check_cost(Config{})),
              CodeVerdict::wrong);
    const SecretString code = totp(file.secret, now, imported.enrollment.totp);
    EXPECT_EQ(check_code(imported.enrollment, state, code.view(), now, check_cost(Config{})),
              CodeVerdict::accepted_totp);
}

TEST(GoogleAuthenticatorImport, StepSizeIsKept) {
    const auto imported = import_ok(fixture("totp_step60_window17.txt"));
    EXPECT_EQ(imported.enrollment.totp.period, 60u);
    EXPECT_EQ(imported.enrollment.backup.hashes_hex.size(), 10u);
}

TEST(GoogleAuthenticatorImport, WhatOtpgateCannotCheckIsRefused) {
    const std::string hotp =
        refusal(test::read_file(test::data_path("google_authenticator/hotp.txt")));
    EXPECT_NE(hotp.find("HOTP_COUNTER"), std::string::npos) << hotp;
    EXPECT_NE(hotp.find("otpgate enroll totp"), std::string::npos) << hotp;
    // The module prefers counter codes even when TOTP_AUTH is there too.
    EXPECT_NE(refusal("JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n\" HOTP_COUNTER 7\n").find("HOTP"),
              std::string::npos);
    EXPECT_NE(refusal("JBSWY3DPEHPK3PXP\n12345678\n").find("neither"), std::string::npos);
    EXPECT_NE(refusal("JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n\" STEP_SIZE 5\n").find("STEP_SIZE 5"),
              std::string::npos);
    EXPECT_NE(refusal("JBSWY3DPEE\n\" TOTP_AUTH\n").find("48 bits"), std::string::npos);
    EXPECT_NE(refusal(std::string(104 + 8, 'A') + "\n\" TOTP_AUTH\n").find("bits"),
              std::string::npos);
    std::string many = "JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n";
    for (int i = 0; i <= 64; ++i) {
        many += std::to_string(10000000 + i) + "\n";
    }
    EXPECT_NE(refusal(many).find("65 scratch codes"), std::string::npos);
}

TEST(GoogleAuthenticatorImport, ACounterBelowOneIsNotHotp) {
    // As in the module: HOTP_COUNTER 0 does not turn counter codes on.
    const auto imported =
        import_ok(file_from("JBSWY3DPEHPK3PXP\n\" HOTP_COUNTER 0\n\" TOTP_AUTH\n"));
    EXPECT_EQ(imported.enrollment.method, Method::totp);
}

TEST(GoogleAuthenticatorImport, ReportOfTheUsualFile) {
    const auto imported = import_ok(fixture("totp_interactive.txt"));
    const std::string report = all_lines(imported);
    ASSERT_GE(imported.carried.size(), 3u);
    EXPECT_NE(imported.carried[0].find("128 bits"), std::string::npos) << report;
    EXPECT_NE(imported.carried[1].find("5 scratch codes"), std::string::npos) << report;
    EXPECT_NE(report.find("WINDOW_SIZE 3: the same window as otpgate's totp_window = 1"),
              std::string::npos)
        << report;
    ASSERT_EQ(imported.not_carried.size(), 1u) << report;
    EXPECT_NE(imported.not_carried[0].find("RATE_LIMIT 3 logins in 30 seconds"), std::string::npos);
}

TEST(GoogleAuthenticatorImport, ReportNamesWhatIsGlobalOrDropped) {
    Config config;
    config.totp_window = 2;
    const auto imported = import_ok(fixture("totp_step60_window17.txt"), config);
    const std::string report = all_lines(imported);
    EXPECT_NE(report.find("WINDOW_SIZE 17 (codes from 8 steps before to 8 steps after now): "
                          "otpgate's window is one setting for all users, totp_window = 2"),
              std::string::npos)
        << report;
    EXPECT_NE(report.find("no DISALLOW_REUSE"), std::string::npos) << report;
    EXPECT_EQ(report.find("RATE_LIMIT"), std::string::npos) << report;

    const auto none = import_ok(fixture("totp_no_scratch_codes.txt"));
    EXPECT_NE(all_lines(none).find("no scratch codes"), std::string::npos);
    EXPECT_TRUE(none.enrollment.backup.hashes_hex.empty());

    const auto odd =
        import_ok(file_from("JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n\" WINDOW_SIZE 4\n"
                            "\" OTP_DISABLED\n"));
    EXPECT_NE(all_lines(odd).find("from 1 step before to 2 steps after"), std::string::npos);
    EXPECT_NE(all_lines(odd).find("option OTP_DISABLED: unknown to otpgate"), std::string::npos);
}

TEST(GoogleAuthenticatorImport, ClockSkewIsReportedNotApplied) {
    const auto file = fixture("totp_time_skew.txt");
    const auto imported = import_ok(file);
    EXPECT_NE(all_lines(imported).find("TIME_SKEW 5 (the phone's clock is 5 steps, 150 seconds, "
                                       "ahead)"),
              std::string::npos)
        << all_lines(imported);
    EXPECT_NE(all_lines(imported).find("refused until the phone's clock is set right"),
              std::string::npos);
    Config wide;
    wide.totp_window = 5;
    EXPECT_NE(all_lines(import_ok(file, wide)).find("within totp_window = 5"), std::string::npos);
}

TEST(GoogleAuthenticatorImport, NoSecretOrCodeInTheReport) {
    for (const char* name : {"totp_interactive.txt", "totp_after_logins.txt", "totp_time_skew.txt",
                             "totp_step60_window17.txt"}) {
        const auto file = fixture(name);
        const std::string report = all_lines(import_ok(file));
        EXPECT_EQ(report.find(std::string(base32_encode(file.secret).view())), std::string::npos);
        for (const auto& code : file.scratch_codes) {
            EXPECT_EQ(report.find(std::string(code.view())), std::string::npos) << name;
        }
    }
}

TEST(GoogleAuthenticatorImport, TheLastUsedStepIsTakenWhenPlausible) {
    const auto file = fixture("totp_after_logins.txt");
    EXPECT_EQ(import_ok(file).used_step, std::optional<std::int64_t>(56666667));
    // A step far beyond any code of now did not come from a login.
    OpenSslRandom random;
    const auto early = import_google_authenticator(file, Config{}, random, 1600000000);
    ASSERT_TRUE(early.ok());
    EXPECT_FALSE(early->used_step.has_value());
    EXPECT_NE(all_lines(*early).find("later than any code of now"), std::string::npos);
    EXPECT_FALSE(import_ok(fixture("totp_interactive.txt")).used_step.has_value());
}

TEST(GoogleAuthenticatorImport, ReimportingKeepsSpentCodesSpent) {
    auto file = fixture("totp_interactive.txt");
    const auto first = import_ok(file);
    UserState state;
    adopt_enrollment(state, first.enrollment);
    state.backup_used_mask = 0b10010;  // codes 1 and 4 were used with otpgate
    const std::string kept_first(file.scratch_codes[0].view());

    auto again = file;
    EXPECT_EQ(drop_spent_scratch_codes(again, first.enrollment, state, default_backup_iterations),
              2u);
    ASSERT_EQ(again.scratch_codes.size(), 3u);
    EXPECT_EQ(again.scratch_codes[0].view(), kept_first);
    for (const auto& code : again.scratch_codes) {
        EXPECT_NE(code.view(), file.scratch_codes[1].view());
        EXPECT_NE(code.view(), file.scratch_codes[4].view());
    }
    // Marks of another enrollment say nothing about this one.
    state.enrollment_id = "ffffffffffffffffffffffffffffffff";
    auto other = file;
    EXPECT_EQ(drop_spent_scratch_codes(other, first.enrollment, state, default_backup_iterations),
              0u);
    EXPECT_EQ(other.scratch_codes.size(), 5u);

    // Hashed at another count than the host's, no code can be looked up
    // (never at the file's count): any may have been spent, so none is kept.
    adopt_enrollment(state, first.enrollment);
    state.backup_used_mask = 0b10010;
    auto recounted = file;
    EXPECT_EQ(drop_spent_scratch_codes(recounted, first.enrollment, state, 5000), 5u);
    EXPECT_TRUE(recounted.scratch_codes.empty());
}

}  // namespace
}  // namespace otpgate::core
