// libcurl is loaded with dlopen when a code is first sent, never linked
// (curl_library.hpp): reading a config with SMS and email settings leaves
// it unloaded, a send loads the real one, and a missing or wrong library
// is a clear delivery error.
#include <string>

#include <gtest/gtest.h>

#include "delivery_test_support.hpp"
#include "otpgate/core/transport/curl_library.hpp"
#include "otpgate/core/transport/https_client.hpp"
#include "test_files.hpp"

namespace otpgate::core {
namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

TEST(CurlLibrary, ReadingADeliveryConfigDoesNotLoadLibcurl) {
    if (otpgate::test::process_maps("libcurl")) {
        // ctest runs each test in a process of its own; a whole-binary run
        // may have sent something already.
        GTEST_SKIP() << "an earlier test in this process loaded libcurl";
    }
    const Config config = test::parse_test_config(
        "sms_backend = generic\n"
        "http_url = https://gateway.example.com/send\n"
        "twilio_api_url = http://127.0.0.1:8080\n"
        "email_backend = smtp\n"
        "smtp_url = smtp://127.0.0.1:25\n"
        "email_from = otpgate@example.com\n");
    EXPECT_EQ(config.delivery.http_url, "https://gateway.example.com/send");
    EXPECT_FALSE(otpgate::test::process_maps("libcurl"));
}

TEST(CurlLibrary, SendingLoadsLibcurlOnce) {
    HttpRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(test::unused_port()) + "/send";
    request.content_type = "application/x-www-form-urlencoded";
    request.body = "to=%2B447700900123";
    TransferSettings settings;
    settings.timeout_ms = 2000;
    settings.connect_timeout_ms = 1000;
    const HttpOutcome outcome = perform_http_request(request, settings);
    EXPECT_FALSE(outcome.answered);
    EXPECT_TRUE(contains(outcome.failure, "cannot connect to the gateway")) << outcome.failure;
    EXPECT_TRUE(otpgate::test::process_maps("libcurl.so.4"));

    const auto first = curl_library();
    const auto second = curl_library();
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_EQ(first.value(), second.value());
}

TEST(CurlLibrary, AMissingLibraryIsAClearError) {
    const auto loaded = load_curl_library("libcurl-otpgate-test-missing.so.4");
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().kind, ErrorKind::unavailable);
    EXPECT_TRUE(contains(loaded.error().message,
                         "cannot load libcurl-otpgate-test-missing.so.4 (needed to send SMS and "
                         "email codes): "))
        << loaded.error().message;
    // dlerror's reason follows.
    EXPECT_TRUE(contains(loaded.error().message, "No such file")) << loaded.error().message;
}

TEST(CurlLibrary, ALibraryWithoutCurlFunctionsIsRefused) {
    // Loaded, but it is not libcurl: nothing in it is called.
    const auto loaded = load_curl_library("libc.so.6");
    ASSERT_FALSE(loaded.ok());
    EXPECT_TRUE(contains(loaded.error().message, "it has no curl_global_init"))
        << loaded.error().message;
}

}  // namespace
}  // namespace otpgate::core
