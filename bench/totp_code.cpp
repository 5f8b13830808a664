#include "totp_code.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <memory>
#include <stdexcept>

namespace otpgate::bench {

std::string totp_code(const std::vector<std::uint8_t>& secret, std::int64_t step) {
    std::array<unsigned char, 8> counter{};
    auto value = static_cast<std::uint64_t>(step);
    for (std::size_t i = counter.size(); i-- > 0;) {
        counter[i] = static_cast<unsigned char>(value & 0xffU);
        value >>= 8U;
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int mac_size = 0;
    if (HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), counter.data(),
             counter.size(), mac.data(), &mac_size) == nullptr) {
        throw std::runtime_error("HMAC failed");
    }
    const unsigned offset = mac[mac_size - 1] & 0x0fU;
    const auto byte = [&mac, offset](unsigned at) { return std::uint32_t{mac[offset + at]}; };
    const std::uint32_t binary =
        ((byte(0) & 0x7fU) << 24U) | (byte(1) << 16U) | (byte(2) << 8U) | byte(3);
    char text[8];
    std::snprintf(text, sizeof text, "%06u", binary % 1000000U);
    return text;
}

std::int64_t current_step() {
    return static_cast<std::int64_t>(std::time(nullptr)) / totp_period;
}

std::string to_hex(const std::vector<std::uint8_t>& bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string text;
    for (const auto byte : bytes) {
        text.push_back(digits[byte >> 4U]);
        text.push_back(digits[byte & 0x0fU]);
    }
    return text;
}

std::string to_base32(const std::vector<std::uint8_t>& bytes) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    std::string text;
    unsigned buffer = 0;
    unsigned bits = 0;
    for (const auto byte : bytes) {
        buffer = (buffer << 8U) | byte;
        bits += 8;
        while (bits >= 5) {
            text.push_back(alphabet[(buffer >> (bits - 5)) & 0x1fU]);
            bits -= 5;
        }
    }
    if (bits > 0) {
        text.push_back(alphabet[(buffer << (5 - bits)) & 0x1fU]);
    }
    return text;
}

void check_against_oathtool(const std::vector<std::uint8_t>& secret) {
    for (const std::int64_t step : {std::int64_t{1}, std::int64_t{59'000'000}, current_step()}) {
        const std::string command = "oathtool --totp -b -N @" + std::to_string(step * totp_period) +
                                    " " + to_base32(secret);
        std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
        if (!pipe) {
            throw std::runtime_error("cannot run oathtool");
        }
        char line[32] = {};
        if (std::fgets(line, sizeof line, pipe.get()) == nullptr) {
            throw std::runtime_error("oathtool printed nothing (is it installed?)");
        }
        std::string printed(line);
        while (!printed.empty() && (printed.back() == '\n' || printed.back() == '\r')) {
            printed.pop_back();
        }
        if (printed != totp_code(secret, step)) {
            throw std::runtime_error("TOTP mismatch with oathtool at step " + std::to_string(step) +
                                     ": " + printed + " vs " + totp_code(secret, step));
        }
    }
}

}  // namespace otpgate::bench
