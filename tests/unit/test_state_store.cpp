// The per-user state file: slots, fallback, locking, and what is refused.
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "otpgate/core/state/state_store.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

using Slot = std::array<std::uint8_t, state_slot_size>;

UserState sample_state() {
    UserState state;
    state.enrollment_id = "00112233445566778899aabbccddeeff";
    state.last_totp_step = 56666666;
    state.backup_used_mask = 0x8000000000000005ULL;
    return state;
}

TEST(StateSlot, RoundTrip) {
    Slot slot{};
    encode_state_slot(sample_state(), 42, slot.data());
    const auto decoded = decode_state_slot(slot.data());
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->first.enrollment_id, sample_state().enrollment_id);
    EXPECT_EQ(decoded->first.last_totp_step, sample_state().last_totp_step);
    EXPECT_EQ(decoded->first.backup_used_mask, sample_state().backup_used_mask);
    EXPECT_EQ(decoded->second, 42u);
}

TEST(StateSlot, VerifiedDestinationAndSendTimesRoundTrip) {
    UserState state;
    state.verified_destination = std::string(64, 'a');
    state.verified_at = 1700000000;
    for (std::int64_t i = 0; i < 40; ++i) {  // more than fit: the newest are kept
        state.recent_sends.push_back(1700000000 + i);
    }
    Slot slot{};
    encode_state_slot(state, 7, slot.data());
    const auto decoded = decode_state_slot(slot.data());
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->first.verified_destination, state.verified_destination);
    EXPECT_EQ(decoded->first.verified_at, 1700000000);
    ASSERT_EQ(decoded->first.recent_sends.size(), max_recorded_sends);
    EXPECT_EQ(decoded->first.recent_sends.front(),
              1700000000 + 40 - std::int64_t{max_recorded_sends});
    EXPECT_EQ(decoded->first.recent_sends.back(), 1700000039);
    // None recorded reads back as none.
    encode_state_slot(UserState{}, 8, slot.data());
    const auto empty = decode_state_slot(slot.data());
    ASSERT_TRUE(empty.has_value());
    EXPECT_TRUE(empty->first.verified_destination.empty());
    EXPECT_TRUE(empty->first.recent_sends.empty());
}

TEST(StateSlot, EmptyStateAndEdgeValues) {
    Slot slot{};
    encode_state_slot(UserState{}, 0, slot.data());
    const auto empty = decode_state_slot(slot.data());
    ASSERT_TRUE(empty.has_value());
    EXPECT_EQ(empty->first.enrollment_id, "");
    EXPECT_FALSE(empty->first.last_totp_step.has_value());
    EXPECT_EQ(empty->first.backup_used_mask, 0u);

    UserState edge;
    edge.last_totp_step = 0;  // step 0 is a real step, distinct from "none"
    edge.backup_used_mask = ~std::uint64_t{0};
    encode_state_slot(edge, ~std::uint64_t{0}, slot.data());
    const auto decoded = decode_state_slot(slot.data());
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->first.last_totp_step, std::optional<std::int64_t>(0));
    EXPECT_EQ(decoded->first.backup_used_mask, ~std::uint64_t{0});
    EXPECT_EQ(decoded->second, ~std::uint64_t{0});
}

TEST(StateSlot, AnyChangedByteIsDetected) {
    Slot good{};
    encode_state_slot(sample_state(), 7, good.data());
    for (std::size_t i = 0; i < state_slot_size; ++i) {
        Slot bad = good;
        bad[i] ^= 0x01;
        EXPECT_FALSE(decode_state_slot(bad.data()).has_value()) << "byte " << i;
    }
    const Slot zeros{};
    EXPECT_FALSE(decode_state_slot(zeros.data()).has_value());
}

class StateStoreTest : public ::testing::Test {
protected:
    test::TempDir dir;
    std::filesystem::path state_dir;
    std::filesystem::path file;

    void SetUp() override {
        state_dir = dir / "state";
        file = state_dir / "alice";
    }
    StateStore store() const { return StateStore(state_dir); }

    // Reads both slots from disk: (sequence or nullopt) for each.
    std::array<std::optional<std::uint64_t>, 2> slot_sequences() const {
        const std::string bytes = test::read_file(file);
        EXPECT_EQ(bytes.size(), state_file_size);
        std::array<std::optional<std::uint64_t>, 2> out;
        for (std::size_t i = 0; i < 2; ++i) {
            Slot slot{};
            std::memcpy(slot.data(), bytes.data() + i * state_slot_size, state_slot_size);
            if (const auto decoded = decode_state_slot(slot.data())) {
                out[i] = decoded->second;
            }
        }
        return out;
    }
    void flip_byte(std::size_t offset) const {
        std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(static_cast<std::streamoff>(offset));
        const char c = static_cast<char>(f.get());
        f.seekp(static_cast<std::streamoff>(offset));
        f.put(static_cast<char>(c ^ 0x40));
    }
    // Commits `step` as alice's last TOTP step, in a fresh lock.
    void commit_step(std::int64_t step) const {
        auto locked = store().lock("alice");
        ASSERT_TRUE(locked.ok()) << locked.error().message;
        locked->state().last_totp_step = step;
        ASSERT_TRUE(locked->commit().ok());
    }
    std::optional<std::int64_t> read_step() const {
        auto locked = store().lock("alice");
        EXPECT_TRUE(locked.ok()) << locked.error().message;
        return locked.ok() ? locked->state().last_totp_step : std::nullopt;
    }
};

TEST_F(StateStoreTest, FirstLockCreatesDirectoryAndEmptyState) {
    auto locked = store().lock("alice");
    ASSERT_TRUE(locked.ok()) << locked.error().message;
    EXPECT_EQ(locked->state().enrollment_id, "");
    EXPECT_FALSE(locked->state().last_totp_step.has_value());
    EXPECT_EQ(locked->state().backup_used_mask, 0u);
    EXPECT_EQ(locked->path(), file);
    EXPECT_EQ(test::file_mode(state_dir), 0700u);
    EXPECT_EQ(test::file_mode(file), 0600u);
    EXPECT_EQ(std::filesystem::file_size(file), state_file_size);
    EXPECT_EQ(test::list_directory(state_dir), std::vector<std::string>{"alice"});
}

// A name can outlive its account: userdel, then useradd gives the name to
// a new uid. The new account must not inherit the old one's spent codes,
// lock or verified destination.
TEST_F(StateStoreTest, AStateIsTiedToTheUidOfItsAccount) {
    constexpr uid_t old_uid = 4301;
    constexpr uid_t new_uid = 4377;
    CapturingLogger logger;
    const StateStore states(state_dir, default_lock_timeout, &logger);
    {
        auto locked = states.lock("alice", old_uid);
        ASSERT_TRUE(locked.ok()) << locked.error().message;
        EXPECT_EQ(locked->state().uid, std::optional<uid_t>(old_uid));  // a new file is adopted
        locked->state() = sample_state();
        locked->state().verified_destination = std::string(64, 'a');
        locked->state().locked_at = 1700000000;
        ASSERT_TRUE(locked->commit().ok());
    }
    {
        // The same account: everything kept.
        auto locked = states.lock("alice", old_uid);
        ASSERT_TRUE(locked.ok()) << locked.error().message;
        EXPECT_EQ(locked->state().uid, std::optional<uid_t>(old_uid));
        EXPECT_EQ(locked->state().last_totp_step, sample_state().last_totp_step);
        EXPECT_EQ(locked->state().verified_destination, std::string(64, 'a'));
        EXPECT_EQ(locked->state().locked_at, 1700000000);
    }
    EXPECT_TRUE(logger.lines().empty());

    // Another account with the name: not even read as its state.
    const auto seen = states.read_existing("alice", new_uid);
    ASSERT_TRUE(seen.ok()) << seen.error().message;
    EXPECT_FALSE(seen->has_value());
    ASSERT_TRUE(states.read_existing("alice", old_uid).ok());
    EXPECT_TRUE(states.read_existing("alice", old_uid)->has_value());

    {
        auto locked = states.lock("alice", new_uid);
        ASSERT_TRUE(locked.ok()) << locked.error().message;
        const UserState& state = locked->state();
        EXPECT_EQ(state.uid, std::optional<uid_t>(new_uid));
        EXPECT_FALSE(state.last_totp_step.has_value());
        EXPECT_EQ(state.enrollment_id, "");
        EXPECT_EQ(state.backup_used_mask, 0u);
        EXPECT_EQ(state.verified_destination, "");
        EXPECT_EQ(state.locked_at, 0);
    }
    EXPECT_TRUE(logger.contains("state of user alice belonged to uid 4301, now uid 4377: dropped"));
    // Dropped on disk at once: the old account's record is gone for good.
    const auto after = states.read_existing("alice", old_uid);
    ASSERT_TRUE(after.ok());
    EXPECT_FALSE(after->has_value());
    const auto fresh = states.read_existing("alice", new_uid);
    ASSERT_TRUE(fresh.ok() && fresh->has_value());
    EXPECT_EQ((*fresh)->uid, std::optional<uid_t>(new_uid));
    EXPECT_EQ(logger.lines().size(), 1u);
}

TEST_F(StateStoreTest, ARecordWithoutAUidIsAdoptedByTheAccount) {
    // Written before records carried the uid (as StateStore without an
    // account writes it: no account has the name).
    {
        auto locked = store().lock("alice", std::nullopt);
        ASSERT_TRUE(locked.ok()) << locked.error().message;
        locked->state() = sample_state();
        ASSERT_TRUE(locked->commit().ok());
    }
    ASSERT_TRUE(store().read_existing("alice", std::nullopt).ok());
    EXPECT_FALSE((*store().read_existing("alice", std::nullopt))->uid.has_value());
    EXPECT_TRUE(store().read_existing("alice", 4301)->has_value());
    {
        auto locked = store().lock("alice", 4301);
        ASSERT_TRUE(locked.ok()) << locked.error().message;
        EXPECT_EQ(locked->state().uid, std::optional<uid_t>(4301));
        EXPECT_EQ(locked->state().last_totp_step, sample_state().last_totp_step);
        EXPECT_EQ(locked->state().enrollment_id, sample_state().enrollment_id);
        ASSERT_TRUE(locked->commit().ok());
    }
    // Adopted, it is that account's: another uid no longer gets it.
    EXPECT_FALSE(store().read_existing("alice", 4302)->has_value());
}

TEST(StateSlot, TheUidRoundTripsAndAnOldRecordHasNone) {
    UserState state = sample_state();
    for (const uid_t uid : {uid_t{0}, uid_t{4301}, uid_t{4294967294U}}) {
        state.uid = uid;
        Slot slot{};
        encode_state_slot(state, 3, slot.data());
        const auto decoded = decode_state_slot(slot.data());
        ASSERT_TRUE(decoded.has_value());
        EXPECT_EQ(decoded->first.uid, std::optional<uid_t>(uid));
    }
    state.uid.reset();
    Slot slot{};
    encode_state_slot(state, 3, slot.data());
    EXPECT_FALSE(decode_state_slot(slot.data())->first.uid.has_value());
}

TEST_F(StateStoreTest, CommitPersists) {
    {
        auto locked = store().lock("alice");
        ASSERT_TRUE(locked.ok());
        locked->state() = sample_state();
        ASSERT_TRUE(locked->commit().ok());
    }
    auto again = store().lock("alice");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->state().enrollment_id, sample_state().enrollment_id);
    EXPECT_EQ(again->state().last_totp_step, sample_state().last_totp_step);
    EXPECT_EQ(again->state().backup_used_mask, sample_state().backup_used_mask);
}

TEST_F(StateStoreTest, CommitAlternatesSlotsAndIncrementsTheSequence) {
    {
        auto locked = store().lock("alice");
        ASSERT_TRUE(locked.ok());
    }
    auto sequences = slot_sequences();
    EXPECT_EQ(sequences[0], std::optional<std::uint64_t>(0));
    EXPECT_FALSE(sequences[1].has_value());
    for (std::uint64_t n = 1; n <= 5; ++n) {
        commit_step(static_cast<std::int64_t>(n * 10));
        sequences = slot_sequences();
        // The new record went to the slot the previous one was not in.
        EXPECT_EQ(sequences[n % 2], std::optional<std::uint64_t>(n));
        EXPECT_EQ(sequences[(n + 1) % 2], std::optional<std::uint64_t>(n - 1));
    }
    // Several commits under one lock each advance too.
    auto locked = store().lock("alice");
    ASSERT_TRUE(locked.ok());
    ASSERT_TRUE(locked->commit().ok());
    ASSERT_TRUE(locked->commit().ok());
    sequences = slot_sequences();
    EXPECT_EQ(sequences[1], std::optional<std::uint64_t>(7));
    EXPECT_EQ(sequences[0], std::optional<std::uint64_t>(6));
}

TEST_F(StateStoreTest, CorruptNewestSlotFallsBackToTheOlder) {
    commit_step(100);  // sequence 1, slot 1
    commit_step(200);  // sequence 2, slot 0
    EXPECT_EQ(read_step(), std::optional<std::int64_t>(200));
    flip_byte(40);  // inside slot 0's record
    EXPECT_EQ(read_step(), std::optional<std::int64_t>(100));
    // The next commit overwrites the damaged slot, not the good one.
    commit_step(300);
    const auto sequences = slot_sequences();
    EXPECT_EQ(sequences[0], std::optional<std::uint64_t>(2));
    EXPECT_EQ(sequences[1], std::optional<std::uint64_t>(1));
    EXPECT_EQ(read_step(), std::optional<std::int64_t>(300));
}

TEST_F(StateStoreTest, CommitNeverOverwritesTheLiveSlotWhateverItsSequenceParity) {
    // A restored or hand-made file: the live record (sequence 5) sits in
    // slot 0, where the parity rule alone would put sequence 6.
    commit_step(1);  // creates the file
    std::string bytes(state_file_size, '\0');
    UserState live;
    live.last_totp_step = 500;
    UserState older;
    older.last_totp_step = 200;
    encode_state_slot(live, 5, reinterpret_cast<std::uint8_t*>(bytes.data()));
    encode_state_slot(older, 2, reinterpret_cast<std::uint8_t*>(bytes.data()) + state_slot_size);
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    EXPECT_EQ(read_step(), std::optional<std::int64_t>(500));
    commit_step(600);
    const auto sequences = slot_sequences();
    EXPECT_EQ(sequences[0], std::optional<std::uint64_t>(5));  // untouched
    EXPECT_EQ(sequences[1], std::optional<std::uint64_t>(6));
    EXPECT_EQ(read_step(), std::optional<std::int64_t>(600));
}

TEST_F(StateStoreTest, CorruptOlderSlotIsIgnored) {
    commit_step(100);
    commit_step(200);
    flip_byte(state_slot_size + 40);  // slot 1, the older record
    EXPECT_EQ(read_step(), std::optional<std::int64_t>(200));
}

TEST_F(StateStoreTest, BothSlotsCorruptIsCorrupt) {
    commit_step(100);
    commit_step(200);
    flip_byte(40);
    flip_byte(state_slot_size + 40);
    const auto locked = store().lock("alice");
    ASSERT_FALSE(locked.ok());
    EXPECT_EQ(locked.error().kind, ErrorKind::corrupt);
}

TEST_F(StateStoreTest, WrongSizeIsCorrupt) {
    commit_step(100);
    for (const auto size : {std::uintmax_t{0}, std::uintmax_t{state_file_size - 1},
                            std::uintmax_t{state_file_size + 1}, std::uintmax_t{4096}}) {
        std::filesystem::resize_file(file, size);
        const auto locked = store().lock("alice");
        ASSERT_FALSE(locked.ok()) << size;
        EXPECT_EQ(locked.error().kind, ErrorKind::corrupt) << size;
    }
}

TEST_F(StateStoreTest, UsersHaveSeparateFiles) {
    commit_step(100);
    auto bob = store().lock("bob");
    ASSERT_TRUE(bob.ok());
    EXPECT_FALSE(bob->state().last_totp_step.has_value());
    EXPECT_EQ(test::list_directory(state_dir), (std::vector<std::string>{"alice", "bob"}));
}

TEST_F(StateStoreTest, BadUserNamesAreRefused) {
    std::filesystem::create_directory(state_dir);
    ASSERT_EQ(::chmod(state_dir.c_str(), 0700), 0);
    for (const char* name : {"", "../alice", "a/b", ".hidden", "-rf", "a b"}) {
        const auto locked = store().lock(name);
        ASSERT_FALSE(locked.ok()) << name;
        EXPECT_EQ(locked.error().kind, ErrorKind::invalid_input) << name;
    }
    EXPECT_TRUE(test::list_directory(state_dir).empty());
}

TEST_F(StateStoreTest, DirectoryWithBadModeIsRefused) {
    std::filesystem::create_directory(state_dir);
    for (const mode_t mode : {mode_t{0777}, mode_t{0770}, mode_t{0702}, mode_t{0720}}) {
        ASSERT_EQ(::chmod(state_dir.c_str(), mode), 0);
        const auto locked = store().lock("alice");
        ASSERT_FALSE(locked.ok()) << std::oct << mode;
        EXPECT_EQ(locked.error().kind, ErrorKind::unsafe);
    }
    // Readable by others is fine: the files inside are private.
    ASSERT_EQ(::chmod(state_dir.c_str(), 0755), 0);
    EXPECT_TRUE(store().lock("alice").ok());
}

TEST_F(StateStoreTest, DirectoryWithWrongOwnerIsRefused) {
    if (!test::running_as_root()) {
        GTEST_SKIP() << "chown needs root";
    }
    std::filesystem::create_directory(state_dir);
    ASSERT_EQ(::chmod(state_dir.c_str(), 0700), 0);
    ASSERT_EQ(::chown(state_dir.c_str(), 4242, 4242), 0);
    const auto locked = store().lock("alice");
    ASSERT_FALSE(locked.ok());
    EXPECT_EQ(locked.error().kind, ErrorKind::unsafe);
}

TEST_F(StateStoreTest, SymlinkedDirectoryIsRefused) {
    const auto real = dir / "real";
    std::filesystem::create_directory(real);
    ASSERT_EQ(::chmod(real.c_str(), 0700), 0);
    std::filesystem::create_directory_symlink(real, state_dir);
    const auto locked = store().lock("alice");
    ASSERT_FALSE(locked.ok());
    EXPECT_EQ(locked.error().kind, ErrorKind::unsafe);
    EXPECT_TRUE(test::list_directory(real).empty());
}

TEST_F(StateStoreTest, SymlinkedStateFileIsRefused) {
    commit_step(100);
    const auto elsewhere = dir / "elsewhere";
    std::filesystem::rename(file, elsewhere);
    std::filesystem::create_symlink(elsewhere, file);
    const auto locked = store().lock("alice");
    ASSERT_FALSE(locked.ok());
    EXPECT_EQ(locked.error().kind, ErrorKind::unsafe);
}

TEST_F(StateStoreTest, HardLinkedStateFileIsRefused) {
    commit_step(100);
    ASSERT_EQ(::link(file.c_str(), (dir / "second-name").c_str()), 0);
    const auto locked = store().lock("alice");
    ASSERT_FALSE(locked.ok());
    EXPECT_EQ(locked.error().kind, ErrorKind::unsafe);
}

// A creation that linked the new file into place but could not remove its
// temporary name (the unlink failed, or the process was killed in between)
// left it with two links, and every later login of the user was refused
// for good. Found by fuzz_login: tests/data/fuzz_regressions/
// login_state_file_left_with_two_links (the creation's unlink fails).
TEST_F(StateStoreTest, TemporaryNameLeftByACreationIsRemoved) {
    commit_step(100);
    const auto temporary = state_dir / ".alice.new-0123456789abcdef";
    ASSERT_EQ(::link(file.c_str(), temporary.c_str()), 0);
    auto locked = store().lock("alice");
    ASSERT_TRUE(locked.ok()) << locked.error().message;
    EXPECT_EQ(locked->state().last_totp_step, 100);
    EXPECT_FALSE(std::filesystem::exists(temporary));
    EXPECT_EQ(std::filesystem::hard_link_count(file), 1U);
}

// Only a temporary name of this user's own creation is taken away.
TEST_F(StateStoreTest, SecondNameInTheStateDirectoryIsRefused) {
    commit_step(100);
    for (const char* name : {"bob", ".bob.new-0123456789abcdef", ".alice.old"}) {
        const auto second = state_dir / name;
        ASSERT_EQ(::link(file.c_str(), second.c_str()), 0);
        const auto locked = store().lock("alice");
        ASSERT_FALSE(locked.ok()) << name;
        EXPECT_EQ(locked.error().kind, ErrorKind::unsafe) << name;
        EXPECT_TRUE(std::filesystem::exists(second)) << name;
        std::filesystem::remove(second);
    }
}

TEST_F(StateStoreTest, StateFileWithBadModeOrOwnerIsRefused) {
    commit_step(100);
    for (const mode_t mode : {mode_t{0640}, mode_t{0604}, mode_t{0660}}) {
        ASSERT_EQ(::chmod(file.c_str(), mode), 0);
        const auto locked = store().lock("alice");
        ASSERT_FALSE(locked.ok()) << std::oct << mode;
        EXPECT_EQ(locked.error().kind, ErrorKind::unsafe);
    }
    ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
    EXPECT_TRUE(store().lock("alice").ok());
    if (test::running_as_root()) {
        ASSERT_EQ(::chown(file.c_str(), 4242, 4242), 0);
        const auto locked = store().lock("alice");
        ASSERT_FALSE(locked.ok());
        EXPECT_EQ(locked.error().kind, ErrorKind::unsafe);
    }
}

TEST_F(StateStoreTest, FifoOrDirectoryInPlaceOfTheFileIsRefusedWithoutHanging) {
    std::filesystem::create_directory(state_dir);
    ASSERT_EQ(::chmod(state_dir.c_str(), 0700), 0);
    ASSERT_EQ(::mkfifo(file.c_str(), 0600), 0);
    const int code = test::run_in_child([&] {
        ::alarm(10);
        const auto locked = store().lock("alice");
        return !locked.ok() && locked.error().kind == ErrorKind::unsafe ? 0 : 1;
    });
    EXPECT_EQ(code, 0);
    std::filesystem::remove(file);
    std::filesystem::create_directory(file);
    const auto locked = store().lock("alice");
    ASSERT_FALSE(locked.ok());
    EXPECT_NE(locked.error().kind, ErrorKind::not_found);
}

TEST_F(StateStoreTest, Remove) {
    commit_step(100);
    ASSERT_TRUE(store().remove("alice").ok());
    EXPECT_FALSE(std::filesystem::exists(file));
    EXPECT_EQ(store().remove("alice").error().kind, ErrorKind::not_found);
    EXPECT_EQ(store().remove("../alice").error().kind, ErrorKind::invalid_input);
    EXPECT_FALSE(read_step().has_value());  // starts over
}

TEST_F(StateStoreTest, ConcurrentLockersSerialize) {
    // Twenty processes each read the counter, yield, and write it back plus
    // one. Without mutual exclusion some increments would be lost. A pipe
    // releases them all at once; none exists before, so creation races too.
    constexpr int children = 20;
    int gate[2];
    ASSERT_EQ(::pipe(gate), 0);
    std::vector<pid_t> pids;
    for (int i = 0; i < children; ++i) {
        const pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            ::close(gate[1]);
            char byte = 0;
            while (::read(gate[0], &byte, 1) < 0 && errno == EINTR) {
            }
            int code = 0;
            {
                auto locked = store().lock("alice");
                if (!locked.ok()) {
                    code = 1;
                } else {
                    const std::uint64_t seen = locked->state().backup_used_mask;
                    for (int y = 0; y < 50; ++y) {
                        ::sched_yield();
                    }
                    locked->state().backup_used_mask = seen + 1;
                    code = locked->commit().ok() ? 0 : 2;
                }
            }
            ::_exit(code);
        }
        pids.push_back(pid);
    }
    ::close(gate[0]);
    ::close(gate[1]);  // end of file for every child: go
    for (const pid_t pid : pids) {
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    }
    auto locked = store().lock("alice");
    ASSERT_TRUE(locked.ok());
    EXPECT_EQ(locked->state().backup_used_mask, static_cast<std::uint64_t>(children));
    EXPECT_EQ(test::list_directory(state_dir), std::vector<std::string>{"alice"});
}

}  // namespace
}  // namespace otpgate::core
