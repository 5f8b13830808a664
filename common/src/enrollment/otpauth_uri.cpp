#include "otpgate/core/enrollment/otpauth_uri.hpp"

#include "otpgate/core/primitives/base32.hpp"

namespace otpgate::core {

std::optional<std::string> issuer_problem(std::string_view issuer) {
    constexpr std::size_t max_issuer_length = 256;
    if (issuer.empty() || issuer.size() > max_issuer_length) {
        return "expected 1 to 256 characters";
    }
    for (const char c : issuer) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            return "control characters are not allowed";
        }
    }
    return std::nullopt;
}

std::string percent_encode(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                                c == '~';
        if (unreserved) {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(hex[u >> 4]);
            out.push_back(hex[u & 0x0f]);
        }
    }
    return out;
}

SecretString totp_uri(std::string_view issuer, std::string_view account_name,
                      const SecretBytes& secret, const TotpParameters& params) {
    SecretString uri;
    const auto add = [&uri](std::string_view text) {
        for (const char c : text) {
            uri.push_back(c);
        }
    };
    const std::string encoded_issuer = percent_encode(issuer);
    add("otpauth://totp/");
    add(encoded_issuer);
    add(":");
    add(percent_encode(account_name));
    add("?secret=");
    add(base32_encode(secret).view());
    add("&issuer=");
    add(encoded_issuer);
    add("&algorithm=");
    add(to_string(params.algorithm));
    add("&digits=");
    add(std::to_string(params.digits));
    add("&period=");
    add(std::to_string(params.period));
    return uri;
}

}  // namespace otpgate::core
