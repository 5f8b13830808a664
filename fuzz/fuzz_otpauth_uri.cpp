// totp_uri: the otpauth:// URI in the enrollment QR code. The issuer
// (config or host name) and the account (user name) come from outside.
// Input: issuer NUL account NUL secret bytes. Invariants: the URI holds
// only URI characters, its label decodes back to issuer and account, and
// its secret decodes back to the secret.
#include <string>

#include "fuzz_support.hpp"
#include "otpgate/core/enrollment/otpauth_uri.hpp"
#include "otpgate/core/primitives/base32.hpp"

using namespace otpgate;

namespace {

std::string percent_decode(std::string_view text) {
    std::string out;
    const auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'A' + 10; };
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%') {
            FUZZ_CHECK(i + 2 < text.size());
            out.push_back(static_cast<char>(nibble(text[i + 1]) * 16 + nibble(text[i + 2])));
            i += 2;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 4096) {
        return 0;
    }
    auto parts = fuzz::split(fuzz::as_text(data, size), '\0');
    parts.resize(3);
    const core::SecretBytes secret(parts[2].begin(), parts[2].end());
    core::TotpParameters params;
    params.digits = 6 + static_cast<unsigned>(size % 3);
    const core::SecretString uri = core::totp_uri(parts[0], parts[1], secret, params);
    const std::string_view text = uri.view();

    FUZZ_CHECK(text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                      "0123456789-._~%:/?=&") == std::string_view::npos);
    constexpr std::string_view scheme = "otpauth://totp/";
    FUZZ_CHECK(text.substr(0, scheme.size()) == scheme);
    const auto query = text.find('?');
    FUZZ_CHECK(query != std::string_view::npos);
    const std::string_view label = text.substr(scheme.size(), query - scheme.size());
    const auto colon = label.find(':');
    FUZZ_CHECK(colon != std::string_view::npos &&
               label.find(':', colon + 1) == std::string_view::npos);
    FUZZ_CHECK(percent_decode(label.substr(0, colon)) == parts[0]);
    FUZZ_CHECK(percent_decode(label.substr(colon + 1)) == parts[1]);

    constexpr std::string_view secret_key = "?secret=";
    const auto secret_end = text.find('&', query);
    const auto decoded = core::base32_decode(
        text.substr(query + secret_key.size(), secret_end - query - secret_key.size()));
    FUZZ_CHECK(decoded && *decoded == secret);
    return 0;
}
