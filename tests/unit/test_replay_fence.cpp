// The replay fence: the host-wide record that lets a spent TOTP step skip
// its own flush, and what it refuses after a restart or when damaged.
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <csignal>

#include <gtest/gtest.h>

#include "fs_faults.hpp"
#include "otpgate/core/state/replay_fence.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

using Slot = std::array<std::uint8_t, replay_fence_slot_size>;

constexpr const char* this_boot = "6d1c4f0a-8a3b-4e4e-9f51-2b7f0c7d9e11";
constexpr const char* last_boot = "0b5e2a77-1f3c-4d2a-8c66-7e9d1a4b3c22";

TEST(ReplayFenceSlot, RoundTrip) {
    const ReplayFenceRecord record{this_boot, 1764000000, 1763999970};
    Slot slot{};
    ASSERT_TRUE(encode_replay_fence_slot(record, 7, slot.data()));
    const auto decoded = decode_replay_fence_slot(slot.data());
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->first, record);
    EXPECT_EQ(decoded->second, 7U);
}

TEST(ReplayFenceSlot, NoneSurvivesTheRoundTrip) {
    const ReplayFenceRecord record{this_boot, no_fence_time, no_fence_time};
    Slot slot{};
    ASSERT_TRUE(encode_replay_fence_slot(record, 1, slot.data()));
    const auto decoded = decode_replay_fence_slot(slot.data());
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->first.newest_start, no_fence_time);
    EXPECT_EQ(decoded->first.refused_through, no_fence_time);
}

TEST(ReplayFenceSlot, AnyFlippedByteIsRefused) {
    Slot slot{};
    ASSERT_TRUE(encode_replay_fence_slot({this_boot, 90, 60}, 3, slot.data()));
    for (std::size_t i = 0; i < slot.size(); ++i) {
        Slot damaged = slot;
        damaged[i] ^= 0x01;
        EXPECT_FALSE(decode_replay_fence_slot(damaged.data()).has_value()) << "byte " << i;
    }
    const Slot zeros{};
    EXPECT_FALSE(decode_replay_fence_slot(zeros.data()).has_value());
}

TEST(ReplayFenceSlot, OverlongBootIdIsNotEncoded) {
    Slot slot{};
    EXPECT_FALSE(encode_replay_fence_slot({std::string(49, 'b'), 0, 0}, 1, slot.data()));
    EXPECT_TRUE(encode_replay_fence_slot({std::string(48, 'b'), 0, 0}, 1, slot.data()));
}

TEST(ReplayFenceFile, NewestValidSlotWins) {
    std::string bytes(replay_fence_file_size, '\0');
    auto* slots = reinterpret_cast<std::uint8_t*>(bytes.data());
    ASSERT_TRUE(encode_replay_fence_slot({this_boot, 3030, 0}, 8, slots));
    ASSERT_TRUE(encode_replay_fence_slot({this_boot, 3000, 0}, 7, slots + replay_fence_slot_size));
    auto decoded = decode_replay_fence_file(bytes);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->record.newest_start, 3030);
    EXPECT_EQ(decoded->sequence, 8U);
    EXPECT_EQ(decoded->slot, 0U);
    bytes[50] ^= 1;  // slot 0 torn
    decoded = decode_replay_fence_file(bytes);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->record.newest_start, 3000);
    EXPECT_EQ(decoded->slot, 1U);
    bytes[replay_fence_slot_size + 50] ^= 1;
    EXPECT_FALSE(decode_replay_fence_file(bytes).has_value());
    EXPECT_FALSE(decode_replay_fence_file(bytes.substr(0, replay_fence_slot_size)).has_value());
}

TEST(ReplayFenceRule, SameBootRefusesOnlyWhatEarlierBootsMayHaveSpent) {
    const ReplayFenceRecord record{this_boot, 900, 300};
    EXPECT_EQ(fence_refuses_through(record, this_boot), 300);
    EXPECT_EQ(fence_refuses_through(record, last_boot), 900);
    EXPECT_EQ(fence_refuses_through({this_boot, 200, 300}, last_boot), 300);
    EXPECT_EQ(fence_refuses_through({}, this_boot), no_fence_time);
}

TEST(ReplayFenceBootId, IsTheKernelsAndStable) {
    const auto id = current_boot_id();
    ASSERT_TRUE(id) << id.error().message;
    std::string kernel = test::read_file("/proc/sys/kernel/random/boot_id");
    while (!kernel.empty() && kernel.back() == '\n') {
        kernel.pop_back();
    }
    EXPECT_EQ(*id, kernel);
    EXPECT_EQ(*current_boot_id(), *id);
}

class ReplayFenceTest : public ::testing::Test {
protected:
    test::TempDir dir;
    std::filesystem::path state_dir;
    std::filesystem::path file;

    void SetUp() override {
        state_dir = dir / "state";
        file = state_dir / replay_fence_file_name;
    }

    FenceAdmission admit(const char* boot, std::int64_t step_start,
                         std::int64_t damage_through = 0) const {
        auto admission = admit_unflushed_step(state_dir, boot, step_start, damage_through);
        EXPECT_TRUE(admission) << admission.error().message;
        return admission ? *admission : FenceAdmission{FenceVerdict::uncovered, 0, "error"};
    }

    // The newest valid record on disk and its sequence number.
    std::pair<ReplayFenceRecord, std::uint64_t> on_disk() const {
        const auto decoded = decode_replay_fence_file(test::read_file(file));
        EXPECT_TRUE(decoded.has_value());
        return decoded ? std::make_pair(decoded->record, decoded->sequence)
                       : std::make_pair(ReplayFenceRecord{}, std::uint64_t{0});
    }

    void write_record(const ReplayFenceRecord& record) const {
        std::string bytes(replay_fence_file_size, '\0');
        ASSERT_TRUE(
            encode_replay_fence_slot(record, 5, reinterpret_cast<std::uint8_t*>(bytes.data())));
        std::filesystem::create_directories(state_dir);
        chmod(state_dir.c_str(), 0700);
        test::write_file(file, bytes, 0600);
    }
};

TEST_F(ReplayFenceTest, FirstStepIsRecordedAndFlushedPrivately) {
    EXPECT_EQ(admit(this_boot, 3000).verdict, FenceVerdict::covered);
    const auto [record, sequence] = on_disk();
    EXPECT_EQ(record, (ReplayFenceRecord{this_boot, 3000, no_fence_time}));
    EXPECT_EQ(sequence, 1U);
    EXPECT_EQ(test::file_mode(file), 0600U);
    EXPECT_EQ(test::file_mode(state_dir), 0700U);
}

TEST_F(ReplayFenceTest, CoveredStepsAreNotWrittenAgain) {
    ASSERT_EQ(admit(this_boot, 3000).verdict, FenceVerdict::covered);
    const std::string before = test::read_file(file);
    EXPECT_EQ(admit(this_boot, 3000).verdict, FenceVerdict::covered);
    EXPECT_EQ(admit(this_boot, 2970).verdict, FenceVerdict::covered);  // an older step
    EXPECT_EQ(test::read_file(file), before);
}

TEST_F(ReplayFenceTest, NewerStepAdvancesTheRecordInTheOtherSlot) {
    ASSERT_EQ(admit(this_boot, 3000).verdict, FenceVerdict::covered);
    const std::string first = test::read_file(file);
    ASSERT_EQ(admit(this_boot, 3030).verdict, FenceVerdict::covered);
    const std::string second = test::read_file(file);
    EXPECT_EQ(on_disk(),
              std::make_pair(ReplayFenceRecord{this_boot, 3030, no_fence_time}, std::uint64_t{2}));
    // The first record is still whole in its slot: a torn write of the
    // second would fall back to it.
    EXPECT_EQ(second.substr(0, replay_fence_slot_size), first.substr(0, replay_fence_slot_size));
    ASSERT_EQ(admit(this_boot, 3060).verdict, FenceVerdict::covered);
    EXPECT_EQ(test::read_file(file).substr(replay_fence_slot_size),
              second.substr(replay_fence_slot_size));
}

TEST_F(ReplayFenceTest, AfterARestartStepsUpToTheLastBootsNewestAreRefused) {
    ASSERT_EQ(admit(last_boot, 3000).verdict, FenceVerdict::covered);
    for (const std::int64_t start : {3000, 2970, 1}) {
        const auto refused = admit(this_boot, start);
        EXPECT_EQ(refused.verdict, FenceVerdict::refused) << start;
        EXPECT_EQ(refused.refused_through, 3000) << start;
    }
    EXPECT_EQ(admit(this_boot, 3030).verdict, FenceVerdict::covered);
    EXPECT_EQ(on_disk().first, (ReplayFenceRecord{this_boot, 3030, 3000}));
    // This boot keeps refusing what the last one may have lost.
    EXPECT_EQ(admit(this_boot, 3000).verdict, FenceVerdict::refused);
    EXPECT_EQ(admit(this_boot, 3030).verdict, FenceVerdict::covered);
}

TEST_F(ReplayFenceTest, EveryEarlierBootStaysFenced) {
    write_record({last_boot, 5000, 9000});  // a boot whose clock ran ahead
    EXPECT_EQ(admit(this_boot, 6000).refused_through, 9000);
    EXPECT_EQ(admit(this_boot, 9030).verdict, FenceVerdict::covered);
    EXPECT_EQ(on_disk().first, (ReplayFenceRecord{this_boot, 9030, 9000}));
}

TEST_F(ReplayFenceTest, OneTornSlotFallsBackToTheOther) {
    ASSERT_EQ(admit(this_boot, 3000).verdict, FenceVerdict::covered);
    ASSERT_EQ(admit(this_boot, 3030).verdict, FenceVerdict::covered);  // slot 1
    std::string bytes = test::read_file(file);
    bytes[replay_fence_slot_size + 40] ^= 0x20;
    test::write_file(file, bytes, 0600);
    EXPECT_EQ(on_disk().first.newest_start, 3000);
    // 3030 is no longer covered by what is on disk: it is written again.
    EXPECT_EQ(admit(this_boot, 3030).verdict, FenceVerdict::covered);
    EXPECT_EQ(on_disk().first.newest_start, 3030);
}

TEST_F(ReplayFenceTest, DamagedFenceRefusesTheWholeWindowThenRecovers) {
    for (const std::string& damage :
         {std::string(replay_fence_file_size, 'x'), std::string("short"),
          std::string(replay_fence_file_size + 10, '\0')}) {
        std::filesystem::create_directories(state_dir);
        test::write_file(file, damage, 0600);
        const auto refused = admit(this_boot, 3000, 3060);
        EXPECT_EQ(refused.verdict, FenceVerdict::refused_damaged);
        EXPECT_EQ(refused.refused_through, 3060);
        EXPECT_TRUE(refused.problem.empty()) << refused.problem;
        EXPECT_EQ(on_disk().first, (ReplayFenceRecord{this_boot, no_fence_time, 3060}));
        EXPECT_EQ(admit(this_boot, 3060).verdict, FenceVerdict::refused);
        EXPECT_EQ(admit(this_boot, 3090).verdict, FenceVerdict::covered);
    }
}

TEST_F(ReplayFenceTest, EmptyFileIsANewFence) {
    std::filesystem::create_directories(state_dir);
    test::write_file(file, "", 0600);
    EXPECT_EQ(admit(this_boot, 3000).verdict, FenceVerdict::covered);
    EXPECT_EQ(on_disk().first, (ReplayFenceRecord{this_boot, 3000, no_fence_time}));
}

TEST_F(ReplayFenceTest, UnsafeFenceIsAnError) {
    ASSERT_EQ(admit(this_boot, 3000).verdict, FenceVerdict::covered);
    ASSERT_EQ(chmod(file.c_str(), 0644), 0);
    auto readable = admit_unflushed_step(state_dir, this_boot, 3030, 0);
    ASSERT_FALSE(readable);
    EXPECT_EQ(readable.error().kind, ErrorKind::unsafe);
    EXPECT_NE(readable.error().message.find("replay fence " + file.string()), std::string::npos)
        << readable.error().message;

    std::filesystem::remove(file);
    std::filesystem::create_symlink(dir / "elsewhere", file);
    auto symlinked = admit_unflushed_step(state_dir, this_boot, 3030, 0);
    ASSERT_FALSE(symlinked);
    EXPECT_EQ(symlinked.error().kind, ErrorKind::unsafe);
    EXPECT_FALSE(std::filesystem::exists(dir / "elsewhere"));

    std::filesystem::remove(file);
    std::filesystem::create_directory(file);
    EXPECT_FALSE(admit_unflushed_step(state_dir, this_boot, 3030, 0));
}

TEST_F(ReplayFenceTest, UnwritableFenceLeavesTheStepUncovered) {
    ASSERT_EQ(admit(this_boot, 3000).verdict, FenceVerdict::covered);
    const std::string before = test::read_file(file);
    // RLIMIT_FSIZE 0: every write fails (EFBIG), reading still works.
    const int code = test::run_in_child([&] {
        struct rlimit none {
            0, 0
        };
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &none) != 0) {
            return 10;
        }
        auto admission = admit_unflushed_step(state_dir, this_boot, 3030, 0);
        if (!admission) {
            return 11;
        }
        if (admission->verdict != FenceVerdict::uncovered ||
            admission->problem.find("cannot write") == std::string::npos) {
            return 12;
        }
        auto covered = admit_unflushed_step(state_dir, this_boot, 3000, 0);
        return covered && covered->verdict == FenceVerdict::covered ? 0 : 13;
    });
    EXPECT_EQ(code, 0);
    EXPECT_EQ(test::read_file(file), before);
}

// A failed write leaves nothing a later login trusts, even when undoing it
// fails too. The faults (a flush that fails, then the write that would
// undo the record) are injected: tests/unit/fs_faults.hpp.
class ReplayFenceFaultTest : public ReplayFenceTest {
protected:
    test::FsFaults faults;
};

using test::FsCall;

TEST_F(ReplayFenceFaultTest, AnUnflushedRecordIsClearedAndWrittenAgainLater) {
    ASSERT_EQ(admit(this_boot, 3000).verdict, FenceVerdict::covered);
    faults.plan(FsCall::fdatasync, EIO);
    const auto failed = admit(this_boot, 3030);
    EXPECT_EQ(failed.verdict, FenceVerdict::uncovered);
    EXPECT_NE(failed.problem.find("cannot sync"), std::string::npos) << failed.problem;
    EXPECT_EQ(on_disk().first.newest_start, 3000);
    EXPECT_EQ(admit(this_boot, 3030).verdict, FenceVerdict::covered);
    EXPECT_EQ(on_disk().first.newest_start, 3030);
}

TEST_F(ReplayFenceFaultTest, ARecordThatCannotBeClearedDamagesTheFence) {
    ASSERT_EQ(admit(this_boot, 3000).verdict, FenceVerdict::covered);
    faults.plan(FsCall::fdatasync, EIO);
    faults.plan(FsCall::pwrite, EIO, 1, 1);  // the record is written; clearing it fails
    EXPECT_EQ(admit(this_boot, 3030).verdict, FenceVerdict::uncovered);
    // The record of 3030 may never reach the disk: no login may take it as
    // covering its step. A damaged fence refuses the window instead.
    EXPECT_EQ(admit(this_boot, 3030, 3060).verdict, FenceVerdict::refused_damaged);
    EXPECT_EQ(on_disk().first.refused_through, 3060);
}

TEST_F(ReplayFenceFaultTest, ARecordThatCannotBeWithdrawnAtAllRefusesTheCode) {
    ASSERT_EQ(admit(this_boot, 3000).verdict, FenceVerdict::covered);
    faults.plan(FsCall::fdatasync, EIO);
    faults.plan(FsCall::pwrite, EIO, 1, 1);
    faults.plan(FsCall::ftruncate, EIO);
    const auto admission = admit_unflushed_step(state_dir, this_boot, 3030, 0);
    ASSERT_FALSE(admission) << "verdict " << static_cast<int>(admission->verdict);
    EXPECT_EQ(admission.error().kind, ErrorKind::unsafe);
    EXPECT_NE(admission.error().message.find("cannot sync"), std::string::npos)
        << admission.error().message;
    EXPECT_NE(admission.error().message.find("no login may trust the fence"), std::string::npos)
        << admission.error().message;
}

TEST_F(ReplayFenceFaultTest, ANewFenceOutOfItsDirectoryIsEmptiedAgain) {
    faults.plan(FsCall::fsync, EIO);
    const auto first = admit(this_boot, 3000);
    EXPECT_EQ(first.verdict, FenceVerdict::uncovered);
    EXPECT_NE(first.problem.find("cannot sync its directory"), std::string::npos) << first.problem;
    EXPECT_EQ(test::read_file(file), "");
    EXPECT_EQ(admit(this_boot, 3000).verdict, FenceVerdict::covered);
}

TEST_F(ReplayFenceFaultTest, ANewFenceThatCannotBeEmptiedIsDamaged) {
    faults.plan(FsCall::fsync, EIO);
    faults.plan(FsCall::ftruncate, EIO, 1, 1);  // sized to two slots; emptying it fails
    EXPECT_EQ(admit(this_boot, 3000).verdict, FenceVerdict::uncovered);
    EXPECT_EQ(admit(this_boot, 3000, 3030).verdict, FenceVerdict::refused_damaged);
}

TEST_F(ReplayFenceFaultTest, ANewFenceThatCannotBeChangedAtAllRefusesTheCode) {
    faults.plan(FsCall::fsync, EIO);
    faults.plan(FsCall::ftruncate, EIO, 1, 1);
    faults.plan(FsCall::pwrite, EIO, 1, 1);  // the record is written; zeros are not
    const auto admission = admit_unflushed_step(state_dir, this_boot, 3000, 0);
    ASSERT_FALSE(admission) << "verdict " << static_cast<int>(admission->verdict);
    EXPECT_EQ(admission.error().kind, ErrorKind::unsafe);
    EXPECT_NE(admission.error().message.find("cannot sync its directory"), std::string::npos)
        << admission.error().message;
}

}  // namespace

// A failed read of the boot id is tried again at the next login instead of
// refusing every TOTP code of a long-lived process; a good one is kept.
TEST(BootIdCache, KeepsOnlyASuccessfulRead) {
    int reads = 0;
    BootIdCache cache([&reads]() -> Result<std::string> {
        ++reads;
        if (reads == 1) {
            return make_error(ErrorKind::unavailable, "cannot open the boot id: EMFILE");
        }
        return std::string("6f4c1f1e-8b2a-4d5e-9c3b-2a1d0e9f8c7b");
    });
    EXPECT_FALSE(cache.get().ok());
    const auto second = cache.get();
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(*second, "6f4c1f1e-8b2a-4d5e-9c3b-2a1d0e9f8c7b");
    EXPECT_EQ(*cache.get(), *second);
    EXPECT_EQ(reads, 2);  // read until it worked, then never again
}

}  // namespace otpgate::core
