// SHA-256, HMAC and PBKDF2 with their algorithms fetched once: vectors
// from RFC 4231, RFC 2202 and RFC 7914 section 11, the others from
// Python's hashlib.
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "otpgate/core/primitives/digest.hpp"
#include "otpgate/core/primitives/hex.hpp"

namespace otpgate::core {
namespace {

std::span<const std::uint8_t> bytes(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string hmac_hex(HashAlgorithm algorithm, std::string_view key, std::string_view message) {
    Hmac mac(algorithm, bytes(key));
    std::uint8_t out[Hmac::max_size] = {};
    mac.compute(bytes(message), out);
    return hex_encode(out, mac.size());
}

TEST(Digest, Sha256) {
    const auto abc = sha256("abc");
    EXPECT_EQ(hex_encode(abc.data(), abc.size()),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const auto empty = sha256(std::string_view());
    EXPECT_EQ(hex_encode(empty.data(), empty.size()),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    std::uint8_t out[sha256_size] = {};
    sha256(nullptr, 0, out);
    EXPECT_EQ(hex_encode(out, sizeof out), hex_encode(empty.data(), empty.size()));
}

TEST(Digest, HmacVectors) {
    const std::string key(20, '\x0b');
    EXPECT_EQ(hmac_hex(HashAlgorithm::sha1, key, "Hi There"),
              "b617318655057264e28bc0b6fb378c8ef146be00");
    EXPECT_EQ(hmac_hex(HashAlgorithm::sha256, key, "Hi There"),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    EXPECT_EQ(hmac_hex(HashAlgorithm::sha512, key, "Hi There"),
              "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
              "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
    EXPECT_EQ(hmac_hex(HashAlgorithm::sha1, "", ""), "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d");
}

// A TOTP check computes its whole window under one key set-up.
TEST(Digest, OneKeyForSeveralMessages) {
    Hmac mac(HashAlgorithm::sha1, bytes("key"));
    std::uint8_t out[Hmac::max_size] = {};
    for (int round = 0; round < 3; ++round) {
        mac.compute(bytes("other message"), out);
        EXPECT_EQ(hex_encode(out, mac.size()), "3b1ce451d0b2b89471a37ee8789c9e4c84f04adf");
        mac.compute(bytes(""), out);
        EXPECT_EQ(hex_encode(out, mac.size()), hmac_hex(HashAlgorithm::sha1, "key", ""));
    }
}

TEST(Digest, Pbkdf2Sha256) {
    std::vector<std::uint8_t> out(64);
    pbkdf2_sha256("passwd", bytes("salt"), 1, out);
    EXPECT_EQ(hex_encode(out.data(), out.size()),
              "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
              "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
    const std::vector<std::uint8_t> zero_salt(16, 0);
    out.resize(32);
    pbkdf2_sha256("1234567890", zero_salt, 1000, out);
    EXPECT_EQ(hex_encode(out.data(), out.size()),
              "76072dfe09d6db11b3b9aa0f0f57c37f2f4aa12b1b4f2cbefd6a7808dbb033a6");
}

// The first use of each algorithm may come from several threads at once.
TEST(Digest, FirstUseFromManyThreads) {
    std::vector<std::thread> threads;
    std::vector<std::string> got(8);
    for (std::size_t i = 0; i < got.size(); ++i) {
        threads.emplace_back([&got, i] {
            const auto digest = sha256("abc");
            got[i] = hex_encode(digest.data(), digest.size()) +
                     hmac_hex(HashAlgorithm::sha256, "k", "m");
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    for (const auto& one : got) {
        EXPECT_EQ(one, got.front());
    }
}

}  // namespace
}  // namespace otpgate::core
