// Sealed boxes (AES-256-GCM under store_key), cross-checked in both
// directions against Python's `cryptography` AESGCM.
#include <gtest/gtest.h>

#include <string>

#include "otpgate/core/primitives/hex.hpp"
#include "otpgate/core/primitives/sealed_box.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

const std::string key_hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

SecretBytes test_key() {
    auto key = parse_sealing_key(key_hex);
    EXPECT_TRUE(key.ok());
    return key.ok() ? std::move(key.value()) : SecretBytes(sealing_key_size);
}

std::vector<std::uint8_t> bytes(std::string_view text) {
    return {text.begin(), text.end()};
}

// Python's AESGCM over box[1:13] (nonce) and box[13:] (ciphertext || tag).
constexpr const char* python_open =
    "import sys\n"
    "from cryptography.hazmat.primitives.ciphers.aead import AESGCM\n"
    "box = bytes.fromhex(sys.argv[2])\n"
    "assert box[0] == 1\n"
    "print(AESGCM(bytes.fromhex(sys.argv[1])).decrypt(box[1:13], box[13:], "
    "sys.argv[3].encode()).decode())\n";

constexpr const char* python_seal =
    "import os, sys\n"
    "from cryptography.hazmat.primitives.ciphers.aead import AESGCM\n"
    "nonce = os.urandom(12)\n"
    "sealed = AESGCM(bytes.fromhex(sys.argv[1])).encrypt(nonce, sys.argv[2].encode(), "
    "sys.argv[3].encode())\n"
    "print((b'\\x01' + nonce + sealed).hex())\n";

}  // namespace

TEST(SealedBox, OpensWhatItSealed) {
    OpenSslRandom random;
    const SecretBytes key = test_key();
    const auto box = seal(key, bytes("otpauth secret"), "enrollment\nalice\nid1", random);
    EXPECT_EQ(box.size(), sealed_box_overhead + 14);
    const auto opened = open_sealed(key, box, "enrollment\nalice\nid1");
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_EQ(std::string(opened->begin(), opened->end()), "otpauth secret");
}

TEST(SealedBox, EveryBoxHasItsOwnNonce) {
    OpenSslRandom random;
    const SecretBytes key = test_key();
    EXPECT_NE(seal(key, bytes("same"), "ad", random), seal(key, bytes("same"), "ad", random));
}

TEST(SealedBox, PythonOpensOurBox) {
    OpenSslRandom random;
    const auto box = seal(test_key(), bytes("secret of alice"), "enrollment\nalice\nid1", random);
    const auto result =
        test::run_command({"/usr/bin/python3", "-c", python_open, key_hex,
                           hex_encode(box.data(), box.size()), "enrollment\nalice\nid1"});
    ASSERT_EQ(result.exit_code, 0);
    EXPECT_EQ(result.output, "secret of alice\n");
}

TEST(SealedBox, WeOpenPythonsBox) {
    const auto result = test::run_command(
        {"/usr/bin/python3", "-c", python_seal, key_hex, "secret of bob", "enrollment\nbob\nid2"});
    ASSERT_EQ(result.exit_code, 0);
    const auto box = hex_decode(result.output.substr(0, result.output.size() - 1));
    ASSERT_TRUE(box.has_value());
    const auto opened = open_sealed(test_key(), *box, "enrollment\nbob\nid2");
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_EQ(std::string(opened->begin(), opened->end()), "secret of bob");
}

TEST(SealedBox, AnotherUsersBoxDoesNotOpen) {
    OpenSslRandom random;
    const SecretBytes key = test_key();
    const auto box = seal(key, bytes("alice's"), "enrollment\nalice\nid1", random);
    const auto moved = open_sealed(key, box, "enrollment\nmallory\nid1");
    ASSERT_FALSE(moved.ok());
    EXPECT_EQ(moved.error().kind, ErrorKind::corrupt);
    EXPECT_FALSE(open_sealed(key, box, "enrollment\nalice\nid2").ok());
}

TEST(SealedBox, AlteredOrTruncatedBoxesDoNotOpen) {
    OpenSslRandom random;
    const SecretBytes key = test_key();
    const auto box = seal(key, bytes("payload"), "ad", random);
    for (std::size_t i = 0; i < box.size(); ++i) {
        auto altered = box;
        altered[i] ^= 0x01;
        EXPECT_FALSE(open_sealed(key, altered, "ad").ok()) << "byte " << i;
    }
    for (std::size_t size = 0; size < box.size(); ++size) {
        const std::vector<std::uint8_t> cut(box.begin(), box.begin() + static_cast<long>(size));
        EXPECT_FALSE(open_sealed(key, cut, "ad").ok()) << "size " << size;
    }
}

TEST(SealedBox, AnotherKeyDoesNotOpen) {
    OpenSslRandom random;
    const auto box = seal(test_key(), bytes("payload"), "ad", random);
    const auto other = parse_sealing_key(std::string(64, 'f'));
    ASSERT_TRUE(other.ok());
    EXPECT_FALSE(open_sealed(*other, box, "ad").ok());
}

TEST(SealedBox, EmptyPlaintextSealsAndOpens) {
    OpenSslRandom random;
    const SecretBytes key = test_key();
    const auto box = seal(key, {}, "ad", random);
    EXPECT_EQ(box.size(), sealed_box_overhead);
    const auto opened = open_sealed(key, box, "ad");
    ASSERT_TRUE(opened.ok());
    EXPECT_TRUE(opened->empty());
}

TEST(SealedBox, KeysAreSixtyFourHexDigits) {
    EXPECT_TRUE(parse_sealing_key(std::string(64, 'A')).ok());
    EXPECT_FALSE(parse_sealing_key(std::string(63, 'a')).ok());
    EXPECT_FALSE(parse_sealing_key(std::string(65, 'a')).ok());
    const auto bad = parse_sealing_key(std::string(63, 'a') + "g");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().kind, ErrorKind::invalid_input);
    EXPECT_EQ(bad.error().message.find("aaaa"), std::string::npos);  // never echoes the value
}

TEST(SealedBox, NewKeysParseAndDiffer) {
    OpenSslRandom random;
    const SecretString first = new_sealing_key_hex(random);
    const SecretString second = new_sealing_key_hex(random);
    EXPECT_EQ(first.size(), 64u);
    EXPECT_TRUE(parse_sealing_key(first.view()).ok());
    EXPECT_NE(first.view(), second.view());
}

}  // namespace otpgate::core
