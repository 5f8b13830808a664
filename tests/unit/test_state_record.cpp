// The state record with the fields access policies added (last success,
// lockout, remembered hosts): they round-trip, stay bounded, and records
// written before them (tests/data/state_record_before_policy.hex) still read.
#include <gtest/gtest.h>

#include <array>
#include <filesystem>

#include <openssl/sha.h>

#include "otpgate/core/primitives/hex.hpp"
#include "otpgate/core/state/state_store.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

std::pair<UserState, std::uint64_t> round_trip(const UserState& state, std::uint64_t sequence = 3) {
    std::array<std::uint8_t, state_slot_size> slot{};
    encode_state_slot(state, sequence, slot.data());
    auto decoded = decode_state_slot(slot.data());
    EXPECT_TRUE(decoded.has_value());
    return decoded.value_or(std::make_pair(UserState{}, 0));
}

RememberedHost host(std::uint8_t fill, std::int64_t at) {
    RememberedHost out;
    out.tag.fill(fill);
    out.at = at;
    return out;
}

TEST(StateRecord, PolicyFieldsRoundTrip) {
    UserState state;
    state.enrollment_id = "00112233445566778899aabbccddeeff";
    state.recent_sends = {1767225100};
    state.last_success = 1767225500;
    state.locked_at = 1767225400;
    state.recent_failures = {1767225300, 1767225301};
    state.remembered_hosts = {host(0xab, 1767225000), host(0x01, 1767225600)};
    const auto [decoded, sequence] = round_trip(state);
    EXPECT_EQ(sequence, 3U);
    EXPECT_EQ(decoded.last_success, state.last_success);
    EXPECT_EQ(decoded.locked_at, state.locked_at);
    EXPECT_EQ(decoded.recent_failures, state.recent_failures);
    EXPECT_EQ(decoded.remembered_hosts, state.remembered_hosts);
    EXPECT_EQ(decoded.recent_sends, state.recent_sends);
    EXPECT_EQ(decoded.enrollment_id, state.enrollment_id);
}

TEST(StateRecord, ListsKeepTheNewestWithinTheirBounds) {
    UserState state;
    for (int i = 0; i < 40; ++i) {
        state.recent_failures.push_back(1767225000 + i);
        state.remembered_hosts.push_back(host(static_cast<std::uint8_t>(i), 1767225000 + i));
        state.recent_sends.push_back(1767225000 + i);
    }
    const auto decoded = round_trip(state).first;
    ASSERT_EQ(decoded.recent_failures.size(), max_recorded_failures);
    EXPECT_EQ(decoded.recent_failures.back(), 1767225039);
    EXPECT_EQ(decoded.recent_failures.front(),
              1767225040 - static_cast<int>(max_recorded_failures));
    ASSERT_EQ(decoded.remembered_hosts.size(), max_remembered_hosts);
    EXPECT_EQ(decoded.remembered_hosts.back(), host(39, 1767225039));
    EXPECT_EQ(decoded.recent_sends.size(), max_recorded_sends);
}

TEST(StateRecord, EmptyPolicyFieldsReadAsNever) {
    const auto decoded = round_trip(UserState{}).first;
    EXPECT_EQ(decoded.last_success, 0);
    EXPECT_EQ(decoded.locked_at, 0);
    EXPECT_TRUE(decoded.recent_failures.empty());
    EXPECT_TRUE(decoded.remembered_hosts.empty());
}

TEST(StateRecord, ARecordFromBeforeAccessPoliciesStillReads) {
    const auto rows = test::read_table("state_record_before_policy.hex");
    ASSERT_EQ(rows.size(), 1U);
    const auto bytes = test::from_hex(rows[0][0]);
    ASSERT_EQ(bytes.size(), state_slot_size);
    const auto decoded = decode_state_slot(bytes.data());
    ASSERT_TRUE(decoded.has_value());
    const UserState& state = decoded->first;
    EXPECT_EQ(decoded->second, 7U);
    EXPECT_EQ(state.enrollment_id, "00112233445566778899aabbccddeeff");
    EXPECT_EQ(state.last_totp_step, 58907520);
    EXPECT_EQ(state.backup_used_mask, 5U);
    EXPECT_EQ(state.verified_at, 1767225000);
    EXPECT_EQ(state.recent_sends, (std::vector<std::int64_t>{1767225100, 1767225200}));
    EXPECT_EQ(state.last_success, 0);
    EXPECT_EQ(state.locked_at, 0);
    EXPECT_TRUE(state.recent_failures.empty());
    EXPECT_TRUE(state.remembered_hosts.empty());
    EXPECT_FALSE(state.uid.has_value());  // adopted by the account that next locks it

    // Written back, only the new fields could differ, and they are empty:
    // the record comes out byte for byte as the old encoder wrote it.
    std::array<std::uint8_t, state_slot_size> again{};
    encode_state_slot(state, 7, again.data());
    EXPECT_EQ(hex_encode(again.data(), again.size()), rows[0][0]);
}

TEST(StateRecord, CountsPastTheirBoundsAreClampedNotTrusted) {
    UserState state;
    state.recent_failures = {1, 2};
    std::array<std::uint8_t, state_slot_size> slot{};
    encode_state_slot(state, 1, slot.data());
    // A record with impossible counts and a valid checksum (a bug, not a
    // torn write) still reads no more than the bounds.
    slot[240] = 255;  // failures
    slot[241] = 255;  // remembered hosts
    SHA256(slot.data(), state_slot_size - SHA256_DIGEST_LENGTH,
           slot.data() + state_slot_size - SHA256_DIGEST_LENGTH);
    const auto decoded = decode_state_slot(slot.data());
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->first.recent_failures.size(), max_recorded_failures);
    EXPECT_EQ(decoded->first.remembered_hosts.size(), max_remembered_hosts);
}

TEST(StateStoreReading, ReadingCreatesNothing) {
    test::TempDir dir;
    const StateStore states(dir / "state");
    const auto names = states.user_names();
    ASSERT_TRUE(names.ok()) << names.error().message;
    EXPECT_TRUE(names->empty());
    EXPECT_FALSE(std::filesystem::exists(dir / "state"));
    ASSERT_TRUE(states.lock("alice").ok());  // makes the directory and alice's file
    const auto bob = states.read_existing("bob");
    ASSERT_TRUE(bob.ok()) << bob.error().message;
    EXPECT_FALSE(bob->has_value());
    EXPECT_EQ(test::list_directory(dir / "state"), std::vector<std::string>{"alice"});
}

TEST(StateStoreReading, ReadExistingSeesWhatWasCommitted) {
    test::TempDir dir;
    const StateStore states(dir / "state");
    {
        auto locked = states.lock("alice");
        ASSERT_TRUE(locked.ok());
        locked->state().last_success = 1767225600;
        ASSERT_TRUE(locked->commit().ok());
    }
    const auto alice = states.read_existing("alice");
    ASSERT_TRUE(alice.ok());
    ASSERT_TRUE(alice->has_value());
    EXPECT_EQ((*alice)->last_success, 1767225600);
}

TEST(StateStoreReading, UserNamesAreTheUsersFilesOnly) {
    test::TempDir dir;
    const StateStore states(dir / "state");
    for (const char* user : {"carol", "alice", "bob"}) {
        ASSERT_TRUE(states.lock(user).ok());
    }
    test::write_file(dir / "state" / ".host-key", std::string(32, 'k'), 0600);
    test::write_file(dir / "state" / ".alice.new-0123", "", 0600);
    std::filesystem::create_directory(dir / "state" / "dave");
    std::filesystem::create_symlink(dir / "state" / "alice", dir / "state" / "erin");
    const auto names = states.user_names();
    ASSERT_TRUE(names.ok()) << names.error().message;
    EXPECT_EQ(*names, (std::vector<std::string>{"alice", "bob", "carol"}));
}

}  // namespace
}  // namespace otpgate::core
