// Remembered hosts: the tag, the period, the bound, and the host key file.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "otpgate/core/state/remembered_host.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

constexpr std::int64_t t0 = 1'767'225'600;

SecretBytes key_of(std::uint8_t fill) {
    return SecretBytes(host_key_size, fill);
}

TEST(RememberedHost, CanonicalHosts) {
    EXPECT_EQ(canonical_remote_host("::ffff:192.0.2.7"), "192.0.2.7");
    EXPECT_EQ(canonical_remote_host("2001:DB8::0:1"), "2001:db8::1");
    EXPECT_EQ(canonical_remote_host("Laptop.Example.ORG."), "laptop.example.org");
}

TEST(RememberedHost, TagsDependOnKeyUserEnrollmentAndHost) {
    const auto key = key_of(1);
    const HostTag tag = host_tag(key, "alice", "e1", "192.0.2.7");
    EXPECT_EQ(tag, host_tag(key, "alice", "e1", "::ffff:192.0.2.7"));
    EXPECT_NE(tag, host_tag(key, "bob", "e1", "192.0.2.7"));
    EXPECT_NE(tag, host_tag(key, "alice", "e1", "192.0.2.8"));
    EXPECT_NE(tag, host_tag(key_of(2), "alice", "e1", "192.0.2.7"));
    // A new enrollment remembers no host of the old one.
    EXPECT_NE(tag, host_tag(key, "alice", "e2", "192.0.2.7"));
    // No field can run into the next.
    EXPECT_NE(host_tag(key, "alice1", "e1", "92.0.2.7"), host_tag(key, "alice", "e1", "192.0.2.7"));
    EXPECT_NE(host_tag(key, "alice", "e11", "92.0.2.7"), host_tag(key, "alice", "e1", "192.0.2.7"));
}

TEST(RememberedHost, RememberedForThePeriodOnly) {
    UserState state;
    const HostTag tag = host_tag(key_of(1), "alice", "e1", "192.0.2.7");
    EXPECT_FALSE(host_remembered(state, tag, t0, 3600));
    remember_host(state, tag, t0);
    EXPECT_TRUE(host_remembered(state, tag, t0, 3600));
    EXPECT_TRUE(host_remembered(state, tag, t0 + 3599, 3600));
    EXPECT_FALSE(host_remembered(state, tag, t0 + 3600, 3600));
    EXPECT_FALSE(host_remembered(state, tag, t0 + 1, 0));  // off
    // Recorded "in the future" (the clock went back): not trusted.
    EXPECT_FALSE(host_remembered(state, tag, t0 - 10, 3600));
}

TEST(RememberedHost, RememberingAgainRenewsAndTheOldestGoes) {
    UserState state;
    const auto key = key_of(1);
    for (int i = 0; i < 8; ++i) {
        remember_host(state, host_tag(key, "alice", "e1", "192.0.2." + std::to_string(i)), t0 + i);
    }
    remember_host(state, host_tag(key, "alice", "e1", "192.0.2.0"), t0 + 100);
    ASSERT_EQ(state.remembered_hosts.size(), 8U);
    EXPECT_EQ(state.remembered_hosts.back().at, t0 + 100);
    remember_host(state, host_tag(key, "alice", "e1", "192.0.2.99"), t0 + 101);
    ASSERT_EQ(state.remembered_hosts.size(), max_remembered_hosts);
    // 192.0.2.1, now the oldest, was dropped; 192.0.2.0 stays (renewed).
    EXPECT_FALSE(host_remembered(state, host_tag(key, "alice", "e1", "192.0.2.1"), t0 + 102, 3600));
    EXPECT_TRUE(host_remembered(state, host_tag(key, "alice", "e1", "192.0.2.0"), t0 + 102, 3600));
}

TEST(HostKey, MadeOnceAndKeptPrivate) {
    test::TempDir dir;
    OpenSslRandom random;
    const auto first = load_host_key(dir / "state", random);
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(first->size(), host_key_size);
    const auto again = load_host_key(dir / "state", random);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*first, *again);
    EXPECT_EQ(test::file_mode(dir / "state" / ".host-key"), 0600U);
    EXPECT_EQ(test::list_directory(dir / "state"), std::vector<std::string>{".host-key"});
}

TEST(HostKey, RefusedWhenOthersCouldReadIt) {
    test::TempDir dir;
    OpenSslRandom random;
    ASSERT_TRUE(load_host_key(dir / "state", random).ok());
    ASSERT_EQ(chmod((dir / "state" / ".host-key").c_str(), 0644), 0);
    const auto refused = load_host_key(dir / "state", random);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::unsafe);
}

TEST(HostKey, WrongSizeIsCorrupt) {
    test::TempDir dir;
    OpenSslRandom random;
    ASSERT_TRUE(load_host_key(dir / "state", random).ok());
    test::write_file(dir / "state" / ".host-key", "short", 0600);
    const auto refused = load_host_key(dir / "state", random);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::corrupt);
}

}  // namespace
}  // namespace otpgate::core
