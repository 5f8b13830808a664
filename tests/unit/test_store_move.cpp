// Enrollments in both places of this host (store = files | local): what a
// login reads, saves and removes while a move is under way, and
// move_enrollment (`otpgate store migrate`) in both directions. Each test
// runs with either place configured.
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "fs_faults.hpp"
#include "otpgate/core/enrollment/new_enrollment.hpp"
#include "otpgate/core/login/code_check.hpp"
#include "otpgate/core/primitives/otp.hpp"
#include "otpgate/core/storage/enrollment_move.hpp"
#include "otpgate/core/storage/enrollment_places.hpp"
#include "otpgate/core/storage/open_storage.hpp"
#include "otpgate/core/system/logger.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t now = 1'700'000'015;

class StoreMoveTest : public ::testing::TestWithParam<StoreKind> {
protected:
    test::TempDir dir;
    Config config = configured(GetParam());
    EnrollmentPlaces places{config};
    CapturingLogger logger;
    OpenSslRandom random;
    UserAccount account = test::running_account();
    StoreKind here = GetParam();
    StoreKind there = other_store(GetParam());

    [[nodiscard]] Config configured(StoreKind kind) const {
        Config result = test::login_config_in(dir);
        result.store = kind;
        return result;
    }
    [[nodiscard]] std::unique_ptr<Storage> open(StoreKind kind) {
        auto storage = open_storage(configured(kind), logger);
        if (!storage) {
            throw std::runtime_error(storage.error().message);
        }
        return std::move(*storage);
    }
    [[nodiscard]] Enrollment new_totp() {
        return make_totp_enrollment(config, random, now).enrollment;
    }
    [[nodiscard]] fs::path file_in(StoreKind place) const {
        return place == StoreKind::files ? dir / (account.name + ".enrollment")
                                         : dir / "state" / ".enrollments" / account.name;
    }
    void save_in(StoreKind place, const Enrollment& enrollment) const {
        ASSERT_TRUE(places.save(place, account, enrollment).ok());
    }
    // Backup code `index` as a login passes it on: digits only.
    static std::string digits(const NewEnrollment& made, std::size_t index) {
        std::string out;
        for (const char c : made.backup_codes.at(index).view()) {
            if (c >= '0' && c <= '9') {
                out.push_back(c);
            }
        }
        return out;
    }
    // One login's check-and-record of `code`, as AttemptRecorder does it.
    static CodeVerdict log_in(Storage& storage, const Config& config, std::string_view code) {
        const auto enrollment = storage.load_enrollment(test::running_account());
        if (!enrollment) {
            throw std::runtime_error(enrollment.error().message);
        }
        auto transaction = storage.begin(test::running_account().name);
        if (!transaction) {
            throw std::runtime_error(transaction.error().message);
        }
        UserState& state = (*transaction)->state();
        adopt_enrollment(state, *enrollment);
        const CodeVerdict verdict = check_code(*enrollment, state, code, now, check_cost(config));
        if (verdict == CodeVerdict::accepted_totp) {
            const std::int64_t period = enrollment->totp.period;
            const auto admitted =
                (*transaction)->admit_spent_step(*state.last_totp_step * period, now + period);
            if (!admitted || *admitted != StepAdmission::admitted) {
                throw std::runtime_error("the step was not admitted");
            }
        }
        if (auto saved = (*transaction)->commit(); !saved) {
            throw std::runtime_error(saved.error().message);
        }
        return verdict;
    }
};

INSTANTIATE_TEST_SUITE_P(Configured, StoreMoveTest,
                         ::testing::Values(StoreKind::files, StoreKind::local),
                         [](const auto& kind) { return std::string(to_string(kind.param)); });

// As a login or root's enroll leaves it: root's state names the enrollment.
void record_in_state(Storage& storage, const Enrollment& enrollment) {
    const UserAccount account = test::running_account();
    auto transaction = storage.begin(account.name, account.uid);
    ASSERT_TRUE(transaction.ok()) << transaction.error().message;
    adopt_enrollment((*transaction)->state(), enrollment);
    ASSERT_TRUE((*transaction)->commit().ok());
}

TEST_P(StoreMoveTest, AnEnrollmentOnlyInTheOtherPlaceIsReadAndTheMoveIsNamed) {
    const Enrollment enrollment = new_totp();
    save_in(there, enrollment);
    const auto storage = open(here);
    record_in_state(*storage, enrollment);
    const auto loaded = storage->load_enrollment(account);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded->id, enrollment.id);
    EXPECT_EQ(loaded->totp_secret, enrollment.totp_secret);
    EXPECT_TRUE(logger.contains("the enrollment of user " + account.name + " was read from " +
                                file_in(there).string()));
    EXPECT_TRUE(logger.contains("`otpgate store migrate --to " + std::string(to_string(here)) +
                                "` moves it"));
    const auto location = storage->enrollment_location(account);
    ASSERT_TRUE(location.has_value());
    EXPECT_EQ(location->rfind(file_in(there).string(), 0), 0U) << *location;
}

// With root keeping enrollments, the user's own file stands in only for the
// enrollment root's state already knows: one the user wrote since is not
// a way around root's store.
TEST_P(StoreMoveTest, AFileOfTheUsersThatRootNeverSawIsIgnoredWhenRootKeepsEnrollments) {
    if (here != StoreKind::local) {
        GTEST_SKIP() << "root's copy cannot be written by the user";
    }
    const auto storage = open(here);
    record_in_state(*storage, new_totp());  // an earlier enrollment, since removed
    save_in(there, new_totp());
    const auto loaded = storage->load_enrollment(account);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().kind, ErrorKind::not_found);
    EXPECT_TRUE(logger.contains("ignored " + file_in(there).string()));
    EXPECT_TRUE(logger.contains("`otpgate store migrate --to local --user " + account.name));
}

TEST_P(StoreMoveTest, TheConfiguredPlaceWinsAndNothingIsLoggedWhenItHoldsOne) {
    const Enrollment wanted = new_totp();
    save_in(here, wanted);
    save_in(there, new_totp());
    const auto storage = open(here);
    const auto loaded = storage->load_enrollment(account);
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(loaded->id, wanted.id);
    EXPECT_TRUE(logger.lines().empty());
    EXPECT_EQ(storage->enrollment_location(account), file_in(here).string());
}

TEST_P(StoreMoveTest, NeitherPlaceHoldingOneIsNotFound) {
    const auto loaded = open(here)->load_enrollment(account);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().kind, ErrorKind::not_found);
}

TEST_P(StoreMoveTest, AnUnreadableCopyInTheOtherPlaceFailsClosedInsteadOfCountingAsNone) {
    save_in(there, new_totp());
    ASSERT_EQ(::chmod(file_in(there).c_str(), 0644), 0);
    const auto loaded = open(here)->load_enrollment(account);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().kind, ErrorKind::unsafe);
}

TEST_P(StoreMoveTest, ASaveGoesToTheConfiguredPlaceAndRemovesTheOldCopy) {
    save_in(there, new_totp());
    const Enrollment renewed = new_totp();
    ASSERT_TRUE(open(here)->save_enrollment(account, renewed).ok());
    EXPECT_FALSE(fs::exists(file_in(there)));
    const auto loaded = places.load(here, account);
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(loaded->id, renewed.id);
}

// Only with files configured: root may remove any file of a user's, but
// root's own folder refuses when it is not root's alone.
class OldCopyTest : public StoreMoveTest {};
INSTANTIATE_TEST_SUITE_P(Configured, OldCopyTest, ::testing::Values(StoreKind::files),
                         [](const auto& kind) { return std::string(to_string(kind.param)); });

TEST_P(OldCopyTest, AnOldCopyThatCannotBeRemovedIsLoggedButTheSaveStands) {
    save_in(there, new_totp());
    ASSERT_EQ(::chmod(file_in(there).parent_path().c_str(), 0755), 0);  // not root's alone
    const Enrollment renewed = new_totp();
    ASSERT_TRUE(open(here)->save_enrollment(account, renewed).ok());
    EXPECT_EQ(places.load(here, account)->id, renewed.id);
    EXPECT_TRUE(fs::exists(file_in(there)));
    EXPECT_TRUE(logger.contains("cannot remove its old copy in " + file_in(there).string()));
}

TEST_P(StoreMoveTest, ARemovedEnrollmentIsGoneFromBothPlacesAndNeverComesBack) {
    save_in(here, new_totp());
    save_in(there, new_totp());
    const auto storage = open(here);
    ASSERT_TRUE(storage->remove_enrollment(account).ok());
    EXPECT_FALSE(fs::exists(file_in(here)));
    EXPECT_FALSE(fs::exists(file_in(there)));
    EXPECT_EQ(storage->load_enrollment(account).error().kind, ErrorKind::not_found);
    EXPECT_EQ(open(there)->load_enrollment(account).error().kind, ErrorKind::not_found);
    EXPECT_EQ(storage->remove_enrollment(account).error().kind, ErrorKind::not_found);
}

TEST_P(StoreMoveTest, AnEnrollmentOnlyInTheOtherPlaceCanBeRemoved) {
    save_in(there, new_totp());
    const auto storage = open(here);
    ASSERT_TRUE(storage->remove_enrollment(account).ok());
    EXPECT_FALSE(fs::exists(file_in(there)));
    EXPECT_EQ(storage->load_enrollment(account).error().kind, ErrorKind::not_found);
}

TEST_P(StoreMoveTest, ALocalFileOfAnotherUidIsNeitherReadNorRemoved) {
    UserAccount successor = account;
    successor.uid = account.uid + 4242;
    ASSERT_TRUE(places.save(StoreKind::local, successor, new_totp()).ok());
    const auto storage = open(here);
    EXPECT_EQ(storage->load_enrollment(account).error().kind, ErrorKind::not_found);
    EXPECT_EQ(storage->remove_enrollment(account).error().kind, ErrorKind::not_found);
    EXPECT_TRUE(fs::exists(file_in(StoreKind::local)));
}

// Here the parameter is the destination of the move.
TEST_P(StoreMoveTest, AMoveKeepsTheEnrollmentAndItsStateSoSpentCodesStaySpent) {
    const StoreKind to = GetParam();
    const StoreKind from = other_store(to);
    NewEnrollment made = make_totp_enrollment(config, random, now);
    const Enrollment& enrollment = made.enrollment;
    save_in(from, enrollment);
    const SecretString code = totp(enrollment.totp_secret, now, enrollment.totp);
    EXPECT_EQ(log_in(*open(from), config, code.view()), CodeVerdict::accepted_totp);
    EXPECT_EQ(log_in(*open(from), config, digits(made, 0)), CodeVerdict::accepted_backup);

    const auto moved = move_enrollment(places, account, to, false);
    ASSERT_TRUE(moved.ok()) << moved.error().message;
    EXPECT_EQ(*moved, MoveOutcome::moved);
    EXPECT_FALSE(fs::exists(file_in(from)));
    const auto loaded = places.load(to, account);
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(loaded->id, enrollment.id);
    EXPECT_EQ(loaded->totp_secret, enrollment.totp_secret);
    if (to == StoreKind::local) {
        EXPECT_EQ(test::file_mode(file_in(to)), 0600U);
        EXPECT_EQ(test::file_owner(file_in(to)), 0U);
    }
    // With either place configured, the same secret and the same spent codes.
    std::size_t unused = 1;
    for (const StoreKind kind : {to, from}) {
        const auto storage = open(kind);
        EXPECT_EQ(log_in(*storage, config, code.view()), CodeVerdict::replayed);
        EXPECT_EQ(log_in(*storage, config, digits(made, 0)), CodeVerdict::replayed);
        EXPECT_EQ(log_in(*storage, config, digits(made, unused++)), CodeVerdict::accepted_backup);
    }
}

TEST_P(StoreMoveTest, ASecondRunFindsTheMoveDoneAndADryRunChangesNothing) {
    const StoreKind to = GetParam();
    const StoreKind from = other_store(to);
    save_in(from, new_totp());
    const auto planned = move_enrollment(places, account, to, true);
    ASSERT_TRUE(planned.ok());
    EXPECT_EQ(*planned, MoveOutcome::moved);
    EXPECT_TRUE(fs::exists(file_in(from)));
    EXPECT_FALSE(fs::exists(file_in(to)));

    ASSERT_EQ(*move_enrollment(places, account, to, false), MoveOutcome::moved);
    EXPECT_EQ(*move_enrollment(places, account, to, false), MoveOutcome::already_there);
    EXPECT_EQ(*move_enrollment(places, account, to, true), MoveOutcome::already_there);
    ASSERT_TRUE(places.remove(to, account).ok());
    EXPECT_EQ(*move_enrollment(places, account, to, false), MoveOutcome::nothing_to_move);
}

TEST_P(StoreMoveTest, AMoveCutShortBeforeTheOldCopyWasRemovedIsFinished) {
    const StoreKind to = GetParam();
    const StoreKind from = other_store(to);
    const Enrollment enrollment = new_totp();
    save_in(from, enrollment);
    save_in(to, enrollment);
    EXPECT_EQ(*move_enrollment(places, account, to, true), MoveOutcome::finished);
    EXPECT_TRUE(fs::exists(file_in(from)));
    EXPECT_EQ(*move_enrollment(places, account, to, false), MoveOutcome::finished);
    EXPECT_FALSE(fs::exists(file_in(from)));
    EXPECT_EQ(places.load(to, account)->id, enrollment.id);
}

TEST_P(StoreMoveTest, ADifferentEnrollmentAtTheDestinationIsAConflictAndNeitherIsTouched) {
    const StoreKind to = GetParam();
    const StoreKind from = other_store(to);
    const Enrollment old_one = new_totp();
    Enrollment other = old_one;
    other.backup.hashes_hex.pop_back();  // the same id, other content
    save_in(from, old_one);
    save_in(to, other);
    EXPECT_EQ(*move_enrollment(places, account, to, false), MoveOutcome::conflict);
    EXPECT_EQ(places.load(from, account)->backup.hashes_hex, old_one.backup.hashes_hex);
    EXPECT_EQ(places.load(to, account)->backup.hashes_hex, other.backup.hashes_hex);
}

TEST_P(StoreMoveTest, AnUnreadableSourceIsAnErrorAndNothingIsWritten) {
    const StoreKind to = GetParam();
    const StoreKind from = other_store(to);
    save_in(from, new_totp());
    {
        std::ofstream out(file_in(from), std::ios::app);
        out << "unknown_key = 1\n";
    }
    const auto moved = move_enrollment(places, account, to, false);
    ASSERT_FALSE(moved.ok());
    EXPECT_EQ(moved.error().kind, ErrorKind::corrupt);
    EXPECT_NE(moved.error().message.find(file_in(from).string()), std::string::npos)
        << moved.error().message;
    EXPECT_TRUE(fs::exists(file_in(from)));
    EXPECT_FALSE(fs::exists(file_in(to)));
}

TEST_P(StoreMoveTest, ANewCopyThatCannotBeWrittenLeavesTheOldOneAlone) {
    const StoreKind to = GetParam();
    const StoreKind from = other_store(to);
    const Enrollment enrollment = new_totp();
    save_in(from, enrollment);
    {
        test::FsFaults faults;
        faults.plan(test::FsCall::fsync, EIO);
        const auto moved = move_enrollment(places, account, to, false);
        ASSERT_FALSE(moved.ok());
        EXPECT_NE(moved.error().message.find("the old copy was kept"), std::string::npos)
            << moved.error().message;
    }
    EXPECT_EQ(places.load(from, account)->id, enrollment.id);
    EXPECT_EQ(places.load(to, account).error().kind, ErrorKind::not_found);
    EXPECT_EQ(*move_enrollment(places, account, to, false), MoveOutcome::moved);
}

}  // namespace
}  // namespace otpgate::core
