// What every storage (storage.hpp) guarantees, whatever keeps the data: one
// typed suite, instantiated for each store. A store is added to
// StoreWorlds below with a world that makes it on a temporary folder (and,
// for a server, whatever it needs); nothing else here changes.
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "otpgate/core/enrollment/new_enrollment.hpp"
#include "otpgate/core/login/code_check.hpp"
#include "otpgate/core/primitives/otp.hpp"
#include "otpgate/core/state/host_tag.hpp"
#include "otpgate/core/storage/open_storage.hpp"
#include "otpgate/core/storage/storage.hpp"
#include "otpgate/core/system/logger.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

using namespace std::chrono_literals;

// Today's files, in a temporary folder (enrollment beside the state).
// One store kind of this host, opened through open_storage as every
// program opens it.
template <StoreKind kind>
class HostStoreWorld {
public:
    static constexpr std::string_view name = kind == StoreKind::files ? "files" : "local";
    explicit HostStoreWorld(const test::TempDir& dir) : m_config(test::login_config_in(dir)) {
        m_config.store = kind;
    }
    [[nodiscard]] const Config& config() const noexcept { return m_config; }
    // A handle of its own on the same data, as another process would open.
    [[nodiscard]] std::unique_ptr<Storage> open(Logger& logger,
                                                std::chrono::milliseconds lock_timeout) const {
        Config config = m_config;
        config.lock_timeout = lock_timeout;
        auto storage = open_storage(config, logger);
        if (!storage) {
            throw std::runtime_error(storage.error().message);
        }
        return std::move(*storage);
    }

private:
    Config m_config;
};
using FileStoreWorld = HostStoreWorld<StoreKind::files>;
using LocalStoreWorld = HostStoreWorld<StoreKind::local>;

constexpr std::int64_t now = 1'700'000'015;  // 15 s into a 30 s step
constexpr auto patient = 10s;                // long enough for every racer to get its turn

template <typename World>
class StorageContract : public ::testing::Test {
protected:
    test::TempDir dir;
    World world{dir};
    CapturingLogger logger;
    OpenSslRandom random;
    UserAccount account = test::running_account();
    std::unique_ptr<Storage> storage = world.open(logger, patient);

    [[nodiscard]] Enrollment new_totp() {
        return make_totp_enrollment(world.config(), random, now).enrollment;
    }

    // One login's check-and-record of `code`, all in one transaction, as
    // AttemptRecorder does it: accepted only when the step was unspent, the
    // store admitted it, and the commit that spends it succeeded.
    static CodeVerdict check_and_record(Storage& store, const std::string& user,
                                        const Enrollment& enrollment, const Config& config,
                                        std::string_view code) {
        auto transaction = store.begin(user);
        if (!transaction) {
            throw std::runtime_error(transaction.error().message);
        }
        UserState& state = (*transaction)->state();
        const CodeVerdict verdict = check_code(enrollment, state, code, now, check_cost(config));
        if (verdict != CodeVerdict::accepted_totp) {
            return verdict;
        }
        const std::int64_t period = enrollment.totp.period;
        const auto admitted =
            (*transaction)->admit_spent_step(*state.last_totp_step * period, now + 2 * period);
        if (!admitted || *admitted != StepAdmission::admitted) {
            throw std::runtime_error("the step was not admitted");
        }
        if (auto saved = (*transaction)->commit(Durability::spent_step); !saved) {
            throw std::runtime_error(saved.error().message);
        }
        return verdict;
    }
};

using StoreWorlds = ::testing::Types<FileStoreWorld, LocalStoreWorld>;
struct StoreName {
    template <typename World>
    static std::string GetName(int) {
        return std::string(World::name);
    }
};
TYPED_TEST_SUITE(StorageContract, StoreWorlds, StoreName);

TYPED_TEST(StorageContract, AStepRecordedOnceIsRefusedAgain) {
    const Enrollment enrollment = this->new_totp();
    const SecretString code = totp(enrollment.totp_secret, now, enrollment.totp);
    const auto check = [&](Storage& store) {
        return this->check_and_record(store, this->account.name, enrollment, this->world.config(),
                                      code.view());
    };
    EXPECT_EQ(check(*this->storage), CodeVerdict::accepted_totp);
    EXPECT_EQ(check(*this->storage), CodeVerdict::replayed);
    // Another handle (another process, a later login) sees it spent too.
    EXPECT_EQ(check(*this->world.open(this->logger, patient)), CodeVerdict::replayed);
}

TYPED_TEST(StorageContract, OfProcessesRacingWithOneCodeExactlyOneGetsThrough) {
    const Enrollment enrollment = this->new_totp();
    const SecretString code = totp(enrollment.totp_secret, now, enrollment.totp);
    // Created first, so that the racers contend for the lock, not the creation.
    ASSERT_TRUE(this->storage->begin(this->account.name));
    int start[2];
    ASSERT_EQ(::pipe(start), 0);
    constexpr int racers = 6;
    std::vector<pid_t> children;
    for (int i = 0; i < racers; ++i) {
        const pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            ::close(start[1]);
            char go = 0;
            static_cast<void>(::read(start[0], &go, 1));  // returns when the parent closes it
            int status = 3;
            try {
                CapturingLogger child_log;
                const auto own = this->world.open(child_log, patient);
                status = this->check_and_record(*own, this->account.name, enrollment,
                                                this->world.config(),
                                                code.view()) == CodeVerdict::accepted_totp
                             ? 0
                             : 1;
            } catch (...) {
                status = 2;  // the store failed: not what this test is about
            }
            ::_exit(status);
        }
        children.push_back(pid);
    }
    ::close(start[0]);
    ::close(start[1]);  // all go at once
    int accepted = 0;
    int refused = 0;
    for (const pid_t pid : children) {
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status));
        const int code_of_exit = WEXITSTATUS(status);
        ASSERT_TRUE(code_of_exit == 0 || code_of_exit == 1) << "a racer failed: " << code_of_exit;
        (code_of_exit == 0 ? accepted : refused) += 1;
    }
    EXPECT_EQ(accepted, 1);
    EXPECT_EQ(refused, racers - 1);
}

TYPED_TEST(StorageContract, ALockHeldElsewhereFailsClosedWithinTheTimeout) {
    int held[2];
    int release[2];
    ASSERT_EQ(::pipe(held), 0);
    ASSERT_EQ(::pipe(release), 0);
    const pid_t holder = ::fork();
    ASSERT_GE(holder, 0);
    if (holder == 0) {
        ::close(held[0]);
        ::close(release[1]);
        CapturingLogger child_log;
        const auto own = this->world.open(child_log, patient);
        auto transaction = own->begin(this->account.name);
        const char ready = transaction ? 'y' : 'n';
        static_cast<void>(::write(held[1], &ready, 1));
        pollfd wait_for{release[0], POLLIN, 0};
        static_cast<void>(::poll(&wait_for, 1, 20'000));  // until released (or 20 s)
        ::_exit(0);
    }
    ::close(held[1]);
    ::close(release[0]);
    char ready = 0;
    ASSERT_EQ(::read(held[0], &ready, 1), 1);
    ASSERT_EQ(ready, 'y');

    constexpr auto timeout = 300ms;
    const auto impatient = this->world.open(this->logger, timeout);
    const auto started = std::chrono::steady_clock::now();
    const auto blocked = impatient->begin(this->account.name);
    const auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_FALSE(blocked.ok()) << "a transaction began while another held the user";
    EXPECT_LT(waited, timeout + 1s);

    ::close(release[1]);
    int status = 0;
    ASSERT_EQ(::waitpid(holder, &status, 0), holder);
    ::close(held[0]);
    // Released: the same handle works again.
    EXPECT_TRUE(impatient->begin(this->account.name).ok());
}

TYPED_TEST(StorageContract, AReaderSeesTheOldOrTheNewEnrollmentNeverAnotherState) {
    const Enrollment first = this->new_totp();
    const Enrollment second = this->new_totp();
    ASSERT_TRUE(this->storage->save_enrollment(this->account, first));
    const pid_t reader = ::fork();
    ASSERT_GE(reader, 0);
    if (reader == 0) {
        CapturingLogger child_log;
        const auto own = this->world.open(child_log, patient);
        for (int i = 0; i < 400; ++i) {
            const auto seen = own->load_enrollment(this->account);
            if (!seen || (seen->id != first.id && seen->id != second.id)) {
                ::_exit(1);
            }
        }
        ::_exit(0);
    }
    for (int i = 0; i < 200; ++i) {
        ASSERT_TRUE(this->storage->save_enrollment(this->account, i % 2 == 0 ? second : first));
    }
    int status = 0;
    ASSERT_EQ(::waitpid(reader, &status, 0), reader);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "a reader saw no enrollment or a mixed one";
}

TYPED_TEST(StorageContract, AnEnrollmentIsSavedLoadedAndRemovedWhole) {
    Storage& store = *this->storage;
    const auto none = store.load_enrollment(this->account);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().kind, ErrorKind::not_found);
    const Enrollment enrollment = this->new_totp();
    ASSERT_TRUE(store.save_enrollment(this->account, enrollment));
    const auto loaded = this->world.open(this->logger, patient)->load_enrollment(this->account);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->id, enrollment.id);
    EXPECT_EQ(loaded->totp_secret, enrollment.totp_secret);
    EXPECT_EQ(loaded->backup.hashes_hex, enrollment.backup.hashes_hex);
    ASSERT_TRUE(store.remove_enrollment(this->account));
    const auto gone = store.load_enrollment(this->account);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().kind, ErrorKind::not_found);
    const auto again = store.remove_enrollment(this->account);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().kind, ErrorKind::not_found);
}

TYPED_TEST(StorageContract, StateSurvivesReopeningAndOnlyACommitChangesIt) {
    const std::string& user = this->account.name;
    {
        const auto read = this->storage->read_state(user);
        ASSERT_TRUE(read) << read.error().message;
        EXPECT_FALSE(read->has_value()) << "a user who never logged in has no state";
    }
    UserState written;
    {
        auto transaction = this->storage->begin(user);
        ASSERT_TRUE(transaction) << transaction.error().message;
        UserState& state = (*transaction)->state();
        state.enrollment_id = "0123456789abcdef0123456789abcdef";
        state.last_totp_step = now / 30;
        state.backup_used_mask = 0b101;
        state.verified_destination = std::string(64, 'c');
        state.verified_at = now - 100;
        state.recent_sends = {now - 50, now - 10};
        state.last_success = now - 5;
        state.recent_failures = {now - 20};
        state.remembered_hosts = {RememberedHost{{1, 2, 3}, now - 5}};
        ASSERT_TRUE((*transaction)->commit(Durability::durable));
        written = state;
    }
    {
        auto transaction = this->storage->begin(user);
        ASSERT_TRUE(transaction);
        (*transaction)->state().last_success = 1;  // never committed
    }
    const auto reopened = this->world.open(this->logger, patient);
    const auto read = reopened->read_state(user);
    ASSERT_TRUE(read && read->has_value());
    const UserState& state = **read;
    EXPECT_EQ(state.enrollment_id, written.enrollment_id);
    EXPECT_EQ(state.last_totp_step, written.last_totp_step);
    EXPECT_EQ(state.backup_used_mask, written.backup_used_mask);
    EXPECT_EQ(state.verified_destination, written.verified_destination);
    EXPECT_EQ(state.verified_at, written.verified_at);
    EXPECT_EQ(state.recent_sends, written.recent_sends);
    EXPECT_EQ(state.last_success, written.last_success);
    EXPECT_EQ(state.recent_failures, written.recent_failures);
    EXPECT_EQ(state.remembered_hosts, written.remembered_hosts);

    const auto users = reopened->users_with_state();
    ASSERT_TRUE(users);
    EXPECT_EQ(*users, std::vector<std::string>{user});
    ASSERT_TRUE(reopened->remove_state(user));
    const auto removed = reopened->read_state(user);
    ASSERT_TRUE(removed);
    EXPECT_FALSE(removed->has_value());
    const auto again = reopened->remove_state(user);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().kind, ErrorKind::not_found);
}

TYPED_TEST(StorageContract, TheHostSmsCapCountsAcrossTransactions) {
    const auto reserve = [&] {
        auto transaction = this->storage->begin(this->account.name);
        EXPECT_TRUE(transaction);
        const auto verdict = (*transaction)->reserve_host_sms(2, now);
        EXPECT_TRUE(verdict);
        EXPECT_TRUE((*transaction)->commit());
        return *verdict;
    };
    EXPECT_TRUE(reserve().allowed);
    EXPECT_TRUE(reserve().allowed);
    const ThrottleVerdict third = reserve();
    EXPECT_FALSE(third.allowed);
    EXPECT_GT(third.retry_after, 0);
}

TYPED_TEST(StorageContract, TheRememberedHostKeyIsMadeOnceAndKept) {
    const auto key = this->storage->remembered_host_key(this->random);
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_EQ(key->size(), host_key_size);
    const auto again = this->world.open(this->logger, patient)->remembered_host_key(this->random);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *key);
}

}  // namespace
}  // namespace otpgate::core
