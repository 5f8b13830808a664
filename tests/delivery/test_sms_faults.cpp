// Gateway faults: error statuses, a gateway that hangs or trickles (the
// send must return within the timeout plus a second), refused connections,
// an untrusted certificate, redirects, huge answers.
#include <chrono>
#include <string>

#include "gateway_fixture.hpp"

namespace otpgate::test {
namespace {

using std::chrono::milliseconds;

class SmsFaults : public GatewayTest {
protected:
    std::unique_ptr<core::MessageSender> generic(const std::string& extra = "") {
        return sender(
            config("sms_backend = generic\nhttp_url = " + gateway_url("/send") + "\n" + extra));
    }
    bool contains(const std::string& text, const std::string& part) {
        return text.find(part) != std::string::npos;
    }
};

TEST_F(SmsFaults, ServerErrorsAndClientErrorsAreNotDelivered) {
    start_gateway(answering(500));
    auto sender_ = generic();
    ASSERT_TRUE(sender_);
    auto result = send(*sender_, sms());
    EXPECT_FALSE(result.delivered);
    EXPECT_EQ(result.detail, "gateway answered HTTP 500");
    for (const int status : {400, 401, 403, 404, 429, 503}) {
        control({{"status", status}});
        result = send(*sender_, sms());
        EXPECT_FALSE(result.delivered);
        EXPECT_EQ(result.detail, "gateway answered HTTP " + std::to_string(status));
    }
}

TEST_F(SmsFaults, AHangingGatewayCostsNoMoreThanTheTimeout) {
    start_gateway(in_mode("hang"));
    auto sender_ = generic("delivery_timeout_ms = 1000\n");
    ASSERT_TRUE(sender_);
    const auto start = std::chrono::steady_clock::now();
    const auto result = send(*sender_, sms());
    const auto elapsed = elapsed_since(start);
    EXPECT_FALSE(result.delivered);
    EXPECT_GE(elapsed, milliseconds(900));
    EXPECT_LT(elapsed, milliseconds(2000));
    EXPECT_TRUE(contains(result.detail, "timed out after")) << result.detail;
    EXPECT_TRUE(contains(result.detail, "(limit 1000 ms")) << result.detail;
    EXPECT_EQ(requests().size(), 1u);  // the request did arrive
}

TEST_F(SmsFaults, ATricklingAnswerIsCutAtTheTimeout) {
    start_gateway(in_mode("trickle"));
    auto sender_ = generic("delivery_timeout_ms = 1000\n");
    ASSERT_TRUE(sender_);
    const auto start = std::chrono::steady_clock::now();
    const auto result = send(*sender_, sms());
    EXPECT_LT(elapsed_since(start), milliseconds(2000));
    EXPECT_FALSE(result.delivered);
    EXPECT_TRUE(contains(result.detail, "timed out after")) << result.detail;
}

TEST_F(SmsFaults, ASlowAnswerWithinTheTimeoutIsFine) {
    start_gateway();
    control({{"status", 201}, {"delay_ms", 300}});
    auto sender_ = generic("delivery_timeout_ms = 3000\n");
    ASSERT_TRUE(sender_);
    EXPECT_TRUE(send(*sender_, sms()).delivered);
}

TEST_F(SmsFaults, ARefusedConnectionFailsAtOnce) {
    auto sender_ = sender(config("sms_backend = generic\nhttp_url = https://127.0.0.1:" +
                                 std::to_string(unused_port()) + "/send\n"));
    ASSERT_TRUE(sender_);
    const auto start = std::chrono::steady_clock::now();
    const auto result = send(*sender_, sms());
    EXPECT_LT(elapsed_since(start), milliseconds(1000));
    EXPECT_FALSE(result.delivered);
    EXPECT_TRUE(contains(result.detail, "cannot connect to the gateway")) << result.detail;
}

TEST_F(SmsFaults, AnUntrustedCertificateIsRefusedBeforeAnythingIsSent) {
    GatewayOptions options;
    options.rogue_certificate = true;
    start_gateway(options);
    auto sender_ = generic();
    ASSERT_TRUE(sender_);
    const auto result = send(*sender_, sms());
    EXPECT_FALSE(result.delivered);
    EXPECT_TRUE(contains(result.detail, "TLS certificate of the gateway not trusted"))
        << result.detail;
    EXPECT_TRUE(contains(result.detail, "certificate")) << result.detail;
    EXPECT_TRUE(requests().empty());
}

TEST_F(SmsFaults, TheSystemTrustStoreDoesNotKnowTheTestCa) {
    // Without tls_ca_file, libcurl's default bundle is used: the test CA is
    // not in it, so verification is really on by default.
    start_gateway();
    auto sender_ = sender(
        parse_test_config("credentials_file = " + (dir / "secrets").string() +
                          "\nsms_backend = generic\nhttp_url = " + gateway_url("/send") + "\n"));
    ASSERT_TRUE(sender_);
    const auto result = send(*sender_, sms());
    EXPECT_FALSE(result.delivered);
    EXPECT_TRUE(contains(result.detail, "not trusted")) << result.detail;
}

TEST_F(SmsFaults, AMissingCaFileIsReported) {
    start_gateway();
    auto sender_ = generic("tls_ca_file = " + (dir / "absent.pem").string() + "\n");
    ASSERT_TRUE(sender_);
    const auto result = send(*sender_, sms());
    EXPECT_FALSE(result.delivered);
    EXPECT_TRUE(contains(result.detail, "cannot load the trusted TLS certificates") ||
                contains(result.detail, "TLS"))
        << result.detail;
}

TEST_F(SmsFaults, RedirectsAreNotFollowed) {
    start_gateway(in_mode("redirect"));
    auto sender_ = generic();
    ASSERT_TRUE(sender_);
    const auto result = send(*sender_, sms());
    EXPECT_FALSE(result.delivered);
    EXPECT_EQ(result.detail, "gateway answered HTTP 302 (a redirect; redirects are not followed)");
    EXPECT_EQ(requests().size(), 1u);
}

TEST_F(SmsFaults, AHugeAnswerIsCutOff) {
    start_gateway(in_mode("huge"));
    auto sender_ = generic();
    ASSERT_TRUE(sender_);
    const auto result = send(*sender_, sms());
    EXPECT_FALSE(result.delivered);
    EXPECT_EQ(result.detail, "gateway response exceeds 65536 bytes; transfer aborted");
}

TEST_F(SmsFaults, AConnectionClosedWithoutAnswer) {
    start_gateway(in_mode("close"));
    auto sender_ = generic();
    ASSERT_TRUE(sender_);
    const auto result = send(*sender_, sms());
    EXPECT_FALSE(result.delivered);
    EXPECT_EQ(result.detail, "the gateway closed the connection without an answer");
}

TEST_F(SmsFaults, ProxiesFromTheEnvironmentAreIgnored) {
    // A user-controlled environment (su, a screen locker) must not reroute
    // the request: a proxy pointing nowhere would make it fail.
    start_gateway();
    auto sender_ = generic();
    ASSERT_TRUE(sender_);
    const int code = run_in_child([&] {
        for (const char* name :
             {"https_proxy", "HTTPS_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"}) {
            setenv(name, ("http://127.0.0.1:" + std::to_string(unused_port())).c_str(), 1);
        }
        return sender_->send(sms()).delivered ? 0 : 1;
    });
    EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace otpgate::test
