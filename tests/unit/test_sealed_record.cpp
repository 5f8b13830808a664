// The seal of the fixed-size records in the state directory
// (state/sealed_record.hpp): what it writes, and that it refuses a record
// with a wrong magic or any bit changed.
#include <algorithm>
#include <array>
#include <cstdint>

#include <openssl/sha.h>

#include <gtest/gtest.h>

#include "state/sealed_record.hpp"

namespace otpgate::core {
namespace {

constexpr std::size_t record_size = 64;
constexpr SealedRecordFormat format("OTPGTS01", record_size);

std::array<std::uint8_t, record_size> sealed_record() {
    std::array<std::uint8_t, record_size> record{};
    record.fill(0xa5);  // start() must clear it
    format.start(record.data());
    record[8] = 0x01;
    record[20] = 0x7f;
    format.seal(record.data());
    return record;
}

TEST(SealedRecord, IsMagicFieldsAndASha256OfWhatPrecedesIt) {
    const auto record = sealed_record();
    EXPECT_EQ(format.checksum_offset(), record_size - 32);
    EXPECT_EQ(std::string(record.begin(), record.begin() + 8), "OTPGTS01");
    for (std::size_t i = 9; i < format.checksum_offset(); ++i) {
        if (i != 20) {
            EXPECT_EQ(record[i], 0) << "byte " << i;
        }
    }
    std::array<std::uint8_t, SHA256_DIGEST_LENGTH> expected{};
    SHA256(record.data(), format.checksum_offset(), expected.data());
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(),
                           record.begin() + static_cast<std::ptrdiff_t>(format.checksum_offset())));
}

TEST(SealedRecord, AGoodRecordPasses) {
    const auto record = sealed_record();
    EXPECT_TRUE(format.check(record.data()));
}

TEST(SealedRecord, AnyFlippedBitIsRefused) {
    auto record = sealed_record();
    for (std::size_t byte = 0; byte < record_size; ++byte) {
        for (unsigned bit = 0; bit < 8; ++bit) {
            record[byte] ^= static_cast<std::uint8_t>(1U << bit);
            EXPECT_FALSE(format.check(record.data())) << "byte " << byte << " bit " << bit;
            record[byte] ^= static_cast<std::uint8_t>(1U << bit);
        }
    }
    EXPECT_TRUE(format.check(record.data()));
}

TEST(SealedRecord, AnotherMagicIsRefusedEvenWithAGoodChecksum) {
    constexpr SealedRecordFormat other("OTPGTS02", record_size);
    const auto record = sealed_record();
    EXPECT_FALSE(other.check(record.data()));
    auto resealed = record;
    other.start(resealed.data());
    other.seal(resealed.data());
    EXPECT_TRUE(other.check(resealed.data()));
    EXPECT_FALSE(format.check(resealed.data()));
}

TEST(SealedRecord, ZerosAreNoRecord) {
    const std::array<std::uint8_t, record_size> zeros{};
    EXPECT_FALSE(format.check(zeros.data()));
}

}  // namespace
}  // namespace otpgate::core
