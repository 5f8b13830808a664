// Host names of store_url looked up within a deadline (database/
// host_name_lookup.hpp). The name service here is the machine's own, so
// only what every Debian system has is asked for (localhost in
// /etc/hosts); a name server that never answers, unknown names and the
// certificate check are in tests/store/test_host_names.py, in a mount
// namespace with files of the test's.
#include <algorithm>
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "otpgate/core/database/host_name_lookup.hpp"

namespace otpgate::core {
namespace {

using Clock = std::chrono::steady_clock;

TEST(HostNameLookup, LocalhostHasALoopbackAddress) {
    const auto found = look_up_host_name("localhost", Clock::now() + std::chrono::seconds(10));
    ASSERT_TRUE(found.ok()) << found.error().message;
    const auto& addresses = found.value();
    ASSERT_FALSE(addresses.empty());
    EXPECT_TRUE(std::find(addresses.begin(), addresses.end(), "127.0.0.1") != addresses.end() ||
                std::find(addresses.begin(), addresses.end(), "::1") != addresses.end());
    for (const auto& address : addresses) {
        EXPECT_EQ(std::count(addresses.begin(), addresses.end(), address), 1) << "each once";
    }
}

TEST(HostNameLookup, WhatIsNoHostNameIsNeverLookedUp) {
    const std::string names[] = {"",      "-s",   "db example",         "db\nexample",
                                 "db;rm", "db/x", std::string(254, 'a')};
    for (const auto& name : names) {
        const auto found = look_up_host_name(name, Clock::now() + std::chrono::seconds(10));
        ASSERT_FALSE(found.ok()) << name;
        EXPECT_EQ(found.error().kind, ErrorKind::invalid_input) << name;
    }
}

TEST(HostNameLookup, NoTimeLeftIsAnOutageNotAWait) {
    const auto start = Clock::now();
    const auto found = look_up_host_name("localhost", start - std::chrono::milliseconds(1));
    ASSERT_FALSE(found.ok());
    EXPECT_EQ(found.error().kind, ErrorKind::unavailable);
    EXPECT_EQ(found.error().message, "no time was left to look up the store's host localhost");
    EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(100));
}

}  // namespace
}  // namespace otpgate::core
