// Addresses and CIDR networks for exempt_networks.
#include <gtest/gtest.h>

#include "otpgate/core/primitives/ip_network.hpp"

namespace otpgate::core {
namespace {

IpNetwork network(std::string_view text) {
    auto parsed = parse_ip_network(text);
    if (auto* problem = std::get_if<std::string>(&parsed)) {
        ADD_FAILURE() << text << ": " << *problem;
        return {};
    }
    return std::get<IpNetwork>(parsed);
}

IpAddress address(std::string_view text) {
    const auto parsed = parse_ip_address(text);
    EXPECT_TRUE(parsed.has_value()) << text;
    return parsed.value_or(IpAddress{});
}

std::string problem_of(std::string_view text) {
    auto parsed = parse_ip_network(text);
    auto* problem = std::get_if<std::string>(&parsed);
    return problem != nullptr ? *problem : "";
}

TEST(IpAddress, ParsesAndPrintsCanonically) {
    EXPECT_EQ(to_string(address("192.0.2.7")), "192.0.2.7");
    EXPECT_EQ(to_string(address("2001:DB8:0:0::1")), "2001:db8::1");
    EXPECT_EQ(to_string(address("[2001:db8::1]")), "2001:db8::1");
    EXPECT_EQ(address("192.0.2.7").family, IpAddress::Family::v4);
    EXPECT_EQ(address("::1").family, IpAddress::Family::v6);
}

TEST(IpAddress, MappedAddressesAreIPv4) {
    EXPECT_EQ(address("::ffff:192.0.2.7"), address("192.0.2.7"));
    EXPECT_EQ(address("::FFFF:c000:0207"), address("192.0.2.7"));
    EXPECT_EQ(to_string(address("::ffff:192.0.2.7")), "192.0.2.7");
    // ::192.0.2.7 (IPv4-compatible, deprecated) is not a mapped address.
    EXPECT_EQ(address("::192.0.2.7").family, IpAddress::Family::v6);
}

TEST(IpAddress, ZoneIsDropped) {
    EXPECT_EQ(address("fe80::1%eth0"), address("fe80::1"));
}

TEST(IpAddress, NamesAndJunkAreNotAddresses) {
    for (const char* text :
         {"", "host.example", "localhost", "192.0.2", "192.0.2.256", "1.2.3.4.5", "01.2.3.4x",
          "::1::2", "[::1", "192.0.2.7/32", " 192.0.2.7", "2001:db8::g"}) {
        EXPECT_FALSE(parse_ip_address(text).has_value()) << text;
    }
    EXPECT_FALSE(parse_ip_address(std::string(100, '1')).has_value());
}

TEST(IpNetwork, ContainsByPrefix) {
    const IpNetwork ten = network("10.0.0.0/8");
    EXPECT_TRUE(ten.contains(address("10.255.255.255")));
    EXPECT_TRUE(ten.contains(address("::ffff:10.1.2.3")));
    EXPECT_FALSE(ten.contains(address("11.0.0.0")));
    EXPECT_FALSE(ten.contains(address("::a00:1")));  // IPv6, not IPv4

    const IpNetwork odd = network("192.168.4.0/22");
    EXPECT_TRUE(odd.contains(address("192.168.7.255")));
    EXPECT_FALSE(odd.contains(address("192.168.8.0")));
    EXPECT_FALSE(odd.contains(address("192.168.3.255")));

    const IpNetwork doc = network("2001:db8:8000::/33");
    EXPECT_TRUE(doc.contains(address("2001:db8:ffff::1")));
    EXPECT_FALSE(doc.contains(address("2001:db8:7fff::1")));
}

TEST(IpNetwork, SingleAddressesAndEverything) {
    EXPECT_EQ(network("192.0.2.7").prefix_length, 32U);
    EXPECT_EQ(network("2001:db8::7").prefix_length, 128U);
    EXPECT_TRUE(network("192.0.2.7").contains(address("192.0.2.7")));
    EXPECT_FALSE(network("192.0.2.7").contains(address("192.0.2.8")));
    EXPECT_TRUE(network("0.0.0.0/0").contains(address("203.0.113.1")));
    EXPECT_FALSE(network("0.0.0.0/0").contains(address("2001:db8::1")));
    EXPECT_TRUE(network("::/0").contains(address("2001:db8::1")));
}

TEST(IpNetwork, MappedNetworkIsIPv4) {
    EXPECT_EQ(network("::ffff:10.0.0.0/104"), network("10.0.0.0/8"));
    EXPECT_NE(problem_of("::ffff:10.0.0.0/95").find("at least 96"), std::string::npos);
}

TEST(IpNetwork, RefusesWhatIsProbablyATypo) {
    EXPECT_NE(problem_of("10.0.0.1/8").find("did you mean 10.0.0.0/8?"), std::string::npos);
    EXPECT_NE(problem_of("2001:db8::1/32").find("did you mean 2001:db8::/32?"), std::string::npos);
    for (const char* text : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8",
                             "10.0.0.0/+8", "10.0.0.0/ 8", "example.com/24", "fe80::%eth0/64"}) {
        EXPECT_FALSE(problem_of(text).empty()) << text;
    }
}

TEST(IpNetworkList, SpacesAndCommas) {
    auto parsed = parse_ip_network_list(" 10.0.0.0/8,192.0.2.0/24 ,, 2001:db8::/32\t");
    ASSERT_TRUE(std::holds_alternative<std::vector<IpNetwork>>(parsed));
    const auto& list = std::get<std::vector<IpNetwork>>(parsed);
    ASSERT_EQ(list.size(), 3U);
    EXPECT_EQ(to_string(list[1]), "192.0.2.0/24");
    EXPECT_TRUE(any_contains(list, address("2001:db8::5")));
    EXPECT_FALSE(any_contains(list, address("198.51.100.1")));
    EXPECT_TRUE(std::get<std::vector<IpNetwork>>(parse_ip_network_list("")).empty());
}

TEST(IpNetworkList, TheFirstBadEntryIsNamed) {
    auto parsed = parse_ip_network_list("10.0.0.0/8 bogus 192.0.2.0/24");
    ASSERT_TRUE(std::holds_alternative<std::string>(parsed));
    EXPECT_NE(std::get<std::string>(parsed).find("'bogus'"), std::string::npos);
}

}  // namespace
}  // namespace otpgate::core
