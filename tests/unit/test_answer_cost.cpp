// What one typed answer costs the host, counted through the check
// primitives a login is given: the same for every kind of user (enrolled
// with or without backup codes, enrolled with a file that names another
// PBKDF2 count, sending codes by SMS, not enrolled, unknown, refused,
// locked), so that the time an answer takes tells nothing about the user.
// Counting instead of timing: the counts are exact, so this cannot flake.
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "otpgate/core/enrollment/enrollment_store.hpp"
#include "otpgate/core/login/login_session.hpp"
#include "otpgate/core/state/lockout.hpp"
#include "otpgate/core/state/state_store.hpp"
#include "otpgate/core/storage/open_storage.hpp"
#include "otpgate/core/system/user_account.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

constexpr std::int64_t login_time = 1'767'225'615;
const std::string seed = "12345678901234567890";

// Counts what the login asked of the primitives. Derivations do no work
// unless asked to: a count of ten million must be seen, not spent.
struct CostMeter {
    unsigned derivations = 0;
    unsigned totp_checks = 0;
    std::multiset<unsigned> iterations;
    bool derive_for_real = false;

    CheckPrimitives primitives() {
        return CheckPrimitives{
            [this](std::string_view digits, const std::vector<std::uint8_t>& salt, unsigned count) {
                ++derivations;
                iterations.insert(count);
                return derive_for_real ? derive_backup_hash(digits, salt, count) : SecretBytes(32);
            },
            [this](const SecretBytes& key, std::string_view code, std::int64_t unix_time,
                   const TotpParameters& params, unsigned window,
                   std::optional<std::int64_t> last_used_step) {
                ++totp_checks;
                return verify_totp(key, code, unix_time, params, window, last_used_step);
            }};
    }
};

enum class UserKind {
    totp_with_codes,
    totp_without_codes,
    totp_file_with_other_count,  // the user wrote backup_iterations = 10000000
    sms_with_codes,
    not_enrolled,
    unknown,
    refused_corrupt_file,
    refused_bad_name,
    locked_totp,
    locked_sms,
};

std::string name_of(UserKind kind) {
    switch (kind) {
        case UserKind::totp_with_codes: return "TotpWithCodes";
        case UserKind::totp_without_codes: return "TotpWithoutCodes";
        case UserKind::totp_file_with_other_count: return "TotpFileWithOtherCount";
        case UserKind::sms_with_codes: return "SmsWithCodes";
        case UserKind::not_enrolled: return "NotEnrolled";
        case UserKind::unknown: return "Unknown";
        case UserKind::refused_corrupt_file: return "RefusedCorruptFile";
        case UserKind::refused_bad_name: return "RefusedBadName";
        case UserKind::locked_totp: return "LockedTotp";
        case UserKind::locked_sms: return "LockedSms";
    }
    return "?";
}

// One answer of each length class: TOTP lengths (6 to 8, 8 also that of
// imported scratch codes), otpgate's backup code lengths (9 and more), and
// an answer that is no code at all.
struct AnswerKind {
    std::string typed;
    unsigned derivations;
    unsigned totp_checks;
};

const std::vector<AnswerKind> answer_kinds = {
    {"123456", 0, 1},     {"1234567", 0, 1},          {"12345678", 1, 1},
    {"1234567890", 1, 0}, {"1234567890123456", 1, 0}, {"12345678901234567890", 1, 0},
    {"12ab", 0, 0},
};

class AnswerCostWorld : public ::testing::Test {
protected:
    test::TempDir dir;
    UserAccount account;
    Config config;
    CapturingLogger logger;
    test::FakeClock clock{login_time};
    OpenSslRandom random;
    CostMeter meter;

    void SetUp() override {
        account = test::running_account();
        config = test::login_config_in(dir);
        config.max_attempts = 1;
        config.fail_delay_ms = 0;
        config.debug = true;
        logger.set_debug(true);
    }

    Enrollment enrollment_of(Method method, unsigned backup_codes) {
        Enrollment enrollment;
        enrollment.id = "0123456789abcdef0123456789abcdef";
        enrollment.method = method;
        enrollment.created = login_time - 1000;
        if (method == Method::totp) {
            enrollment.totp_secret = test::bytes_of(seed);
        } else {
            enrollment.destination = "+447700900123";
        }
        enrollment.backup =
            make_backup_codes(random, backup_codes, 10, config.backup_code_iterations).stored;
        return enrollment;
    }
    void save(const Enrollment& enrollment) {
        ASSERT_TRUE(EnrollmentStore(config.enrollment_path).save(account, enrollment).ok());
    }
    void lock_user() {
        auto locked = StateStore(config.state_dir).lock(account.name);
        ASSERT_TRUE(locked.ok());
        for (unsigned i = 0; i < config.policy.lockout.max_failures; ++i) {
            record_failure(locked->state(), config.policy.lockout, login_time - 10);
        }
        ASSERT_TRUE(locked->commit().ok());
        ASSERT_TRUE(lock_remaining(locked->state(), config.policy.lockout, login_time));
    }

    // Sets up the user; returns the name to log in as.
    std::string prepare(UserKind kind) {
        switch (kind) {
            case UserKind::totp_with_codes: save(enrollment_of(Method::totp, 2)); break;
            case UserKind::totp_without_codes: save(enrollment_of(Method::totp, 0)); break;
            case UserKind::totp_file_with_other_count: {
                Enrollment enrollment = enrollment_of(Method::totp, 2);
                enrollment.backup.iterations = 10'000'000;
                save(enrollment);
                break;
            }
            case UserKind::sms_with_codes: save(enrollment_of(Method::sms, 2)); break;
            case UserKind::not_enrolled: break;
            case UserKind::unknown: return "otpgate-no-such-user";
            case UserKind::refused_corrupt_file:
                test::write_file(dir / (account.name + ".enrollment"), "version = 1\n");
                break;
            case UserKind::refused_bad_name: return "../" + account.name;
            case UserKind::locked_totp:
                save(enrollment_of(Method::totp, 2));
                lock_user();
                break;
            case UserKind::locked_sms:
                save(enrollment_of(Method::sms, 2));
                lock_user();
                break;
        }
        return account.name;
    }

    LoginOutcome login(const std::string& user, const std::string& typed) {
        test::ScriptedConversation conversation({typed});
        auto storage = open_storage(config, logger);
        LoginServices services{conversation,
                               logger,
                               clock,
                               random,
                               **storage,
                               [](Channel) -> Result<std::unique_ptr<MessageSender>> {
                                   return make_error(ErrorKind::unavailable, "no sender here");
                               },
                               "host",
                               meter.primitives()};
        return run_login(user, config, services);
    }
};

class AnswerCost : public AnswerCostWorld,
                   public ::testing::WithParamInterface<std::tuple<UserKind, std::size_t>> {};

TEST_P(AnswerCost, OneAnswerCostsTheSameForEveryUser) {
    const auto [kind, answer_index] = GetParam();
    const AnswerKind& answer = answer_kinds[answer_index];
    const std::string user = prepare(kind);
    const CostMeter before = meter;
    ASSERT_EQ(before.derivations + before.totp_checks, 0u);

    EXPECT_EQ(login(user, answer.typed), LoginOutcome::denied);

    EXPECT_EQ(meter.derivations, answer.derivations)
        << "backup code derivations for a " << answer.typed.size() << "-character answer";
    EXPECT_EQ(meter.totp_checks, answer.totp_checks)
        << "TOTP checks for a " << answer.typed.size() << "-character answer";
    // Always at the host's count, whatever the user's file says.
    for (const unsigned count : meter.iterations) {
        EXPECT_EQ(count, config.backup_code_iterations);
    }
}

INSTANTIATE_TEST_SUITE_P(
    EveryUserKind, AnswerCost,
    ::testing::Combine(::testing::Values(UserKind::totp_with_codes, UserKind::totp_without_codes,
                                         UserKind::totp_file_with_other_count,
                                         UserKind::sms_with_codes, UserKind::not_enrolled,
                                         UserKind::unknown, UserKind::refused_corrupt_file,
                                         UserKind::refused_bad_name, UserKind::locked_totp,
                                         UserKind::locked_sms),
                       ::testing::Range<std::size_t>(0, answer_kinds.size())),
    [](const ::testing::TestParamInfo<AnswerCost::ParamType>& case_info) {
        return name_of(std::get<0>(case_info.param)) + "_" +
               std::to_string(answer_kinds[std::get<1>(case_info.param)].typed.size()) + "Chars";
    });

// The host's count is the config's, whatever was used before: codes hashed
// at another are refused with a line telling root what to run, and a
// right code of them costs one derivation at the host's count, never theirs.
TEST_F(AnswerCostWorld, TheCountIsTheHostsAndAFileWithAnotherOneLosesItsBackupCodes) {
    Enrollment enrollment = enrollment_of(Method::totp, 2);
    ASSERT_TRUE(parse_config_text(config, "backup_code_iterations = 5000\n", "test.conf", logger));
    ASSERT_EQ(config.backup_code_iterations, 5000u);
    save(enrollment);  // hashed at the count before, test::fast_backup_iterations

    EXPECT_EQ(login(account.name, "1234567890"), LoginOutcome::denied);
    EXPECT_EQ(meter.iterations, std::multiset<unsigned>{5000});
    EXPECT_TRUE(logger.contains("backup codes of user " + account.name + " were hashed with " +
                                std::to_string(test::fast_backup_iterations) +
                                " PBKDF2 iterations, not this host's backup_code_iterations "
                                "(5000): they are refused until new ones are made with "
                                "`otpgate backup-codes --user " +
                                account.name + "`"));

    // Made anew at the host's count, they work again.
    const NewBackupCodes made = make_backup_codes(random, 1, 10, config.backup_code_iterations);
    enrollment.backup = made.stored;
    save(enrollment);
    meter.derive_for_real = true;
    EXPECT_EQ(login(account.name, test::text_of(made.codes[0])), LoginOutcome::success);
    EXPECT_EQ(meter.iterations, (std::multiset<unsigned>{5000, 5000}));
}

}  // namespace
}  // namespace otpgate::core
