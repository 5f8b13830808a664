// Delivery URLs read twice (delivery_url.hpp): by our parser when the
// config is read, and by libcurl's just before a transfer. Both readings
// must agree on the scheme, the host and whether it is this machine;
// otherwise a config accepted at login time would be refused at send time,
// or worse, the reverse.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "otpgate/core/transport/curl_library.hpp"
#include "otpgate/core/transport/delivery_url.hpp"

namespace otpgate::core {
namespace {

struct Expected {
    std::string url;
    std::string scheme;
    std::string host;
    bool loopback;
};

const std::vector<Expected>& accepted() {
    static const std::vector<Expected> cases = {
        {"https://api.twilio.com", "https", "api.twilio.com", false},
        {"HTTPS://API.Twilio.COM/2010-04-01", "https", "api.twilio.com", false},
        {"https://api.labsmobile.com/json/send?x=1#frag", "https", "api.labsmobile.com", false},
        {"https://gw.example.com:8443/send", "https", "gw.example.com", false},
        {"https://gw.example.com?q=a@b", "https", "gw.example.com", false},
        {"http://127.0.0.1:8080", "http", "127.0.0.1", true},
        {"http://localhost:9/send", "http", "localhost", true},
        {"http://LocalHost/", "http", "localhost", true},
        {"http://[::1]:80", "http", "[::1]", true},
        {"http://[0:0:0:0:0:0:0:1]/", "http", "[::1]", true},
        {"http://127.1/", "http", "127.0.0.1", true},
        {"http://0x7f.0.0.1/", "http", "127.0.0.1", true},
        {"http://2130706433/", "http", "127.0.0.1", true},
        {"http://127.0.0.2/", "http", "127.0.0.2", false},
        {"http://[::2]/", "http", "[::2]", false},
        {"http://[::2:25]/", "http", "[::2:25]", false},  // not "[::0.2.0.37]"
        {"http://localhost./", "http", "localhost.", false},
        {"smtp://mail.example.com:587", "smtp", "mail.example.com", false},
        {"smtps://mail.example.com:465", "smtps", "mail.example.com", false},
        {"smtp://127.0.0.1:25/client.example.com", "smtp", "127.0.0.1", true},
        {"https://my_host.example.com/", "https", "my_host.example.com", false},
        // Odd forms libcurl accepts, and so must the config: a URL that
        // worked must not become a config error.
        {"https:/gw.example.com/send", "https", "gw.example.com", false},
        {"https:///gw.example.com/send", "https", "gw.example.com", false},
        {"https://gw.example.com:/send", "https", "gw.example.com", false},
        {"https://gw%2Eexample.com/", "https", "gw.example.com", false},
        {"http://%6cocalhost/", "http", "localhost", true},
        {"http://[::1%25lo]:8080/", "http", "[::1]", true},
        {"http://%31%32%37.1/", "http", "127.1", false},  // decoded, not normalised
        {"http://127.0.0.%31/", "http", "127.0.0.1", true},
    };
    return cases;
}

const std::vector<std::string>& refused() {
    static const std::vector<std::string> cases = {
        "",
        "api.twilio.com",
        "mail.example.com:587",
        "https://",
        "https:gw.example.com",
        "https:////gw.example.com",
        "https://:443/",
        "https://u:p@api.twilio.com",
        "https://user@host/",
        "smtp://user:pw@mail.example.com",
        "https://gw.example.com:port/",
        "https://gw.example.com:65536/",
        "https://gw ex.com/",
        "https://gw.example.com/a b",
        "https://gw.example.com/\t",
        "https://gw%zz.example.com/",
        "https://gw%00.example.com/",
        "https://gw.example.com%/",
        "https://gw%2fexample.com/",
        "https://gw.example.com\\@evil.example/",
        "http://[::1/",
        "http://[::1]x/",
        "http://[not:an:address]/",
        "1https://gw.example.com/",
        "ht~tp://gw.example.com/",
    };
    return cases;
}

TEST(DeliveryUrl, OurParserReadsSchemeHostAndLoopback) {
    for (const auto& expected : accepted()) {
        const auto parts = parse_delivery_url(expected.url);
        ASSERT_TRUE(parts.ok()) << expected.url << ": " << parts.error().message;
        EXPECT_EQ(parts->scheme, expected.scheme) << expected.url;
        EXPECT_EQ(parts->host, expected.host) << expected.url;
        EXPECT_EQ(parts->loopback, expected.loopback) << expected.url;
    }
}

TEST(DeliveryUrl, OurParserRefusesWhatTheConfigMustNotHold) {
    for (const auto& url : refused()) {
        const auto parts = parse_delivery_url(url);
        EXPECT_FALSE(parts.ok()) << url << " read as " << parts->scheme << "://" << parts->host;
    }
    const auto credentials = parse_delivery_url("https://u:p@api.twilio.com");
    ASSERT_FALSE(credentials.ok());
    EXPECT_NE(credentials.error().message.find("credentials file"), std::string::npos);
}

TEST(DeliveryUrl, LibcurlReadsEveryAcceptedUrlTheSameWay) {
    const auto libcurl = curl_library();
    ASSERT_TRUE(libcurl.ok()) << libcurl.error().message;
    for (const auto& expected : accepted()) {
        const auto parts = parse_delivery_url_with_libcurl(*libcurl.value(), expected.url);
        ASSERT_TRUE(parts.ok()) << expected.url << ": " << parts.error().message;
        EXPECT_EQ(parts->scheme, expected.scheme) << expected.url;
        EXPECT_EQ(parts->host, expected.host) << expected.url;
        EXPECT_EQ(parts->loopback, expected.loopback) << expected.url;
    }
}

}  // namespace
}  // namespace otpgate::core
