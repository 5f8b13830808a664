// parse_credentials: /etc/security/otpgate.secrets. Invariants: every
// value kept is non-empty and free of control characters; an error names
// the line and at most a known key, never a value (which may be a secret).
#include <array>
#include <string>

#include "fuzz_support.hpp"
#include "otpgate/core/system/credentials.hpp"

using namespace otpgate;

namespace {

constexpr std::array<std::string_view, 6> keys = {"twilio_auth_token", "http_password",
                                                  "http_bearer_token", "smtp_password",
                                                  "store_password",    "store_key"};

// The problems parse_credentials may report after "credentials file S:N: ".
bool is_known_problem(std::string_view problem) {
    if (problem == "expected 'key = value'" || problem.substr(0, 13) == "unknown key (") {
        return true;
    }
    for (const auto key : keys) {
        if (problem.substr(0, key.size()) == key) {
            const std::string_view rest = problem.substr(key.size());
            return rest == " is set twice" || rest == " is empty" ||
                   rest == " contains a control character";
        }
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 64 * 1024) {
        return 0;
    }
    const auto parsed = core::parse_credentials(fuzz::as_text(data, size), "S");
    if (!parsed) {
        const std::string& message = parsed.error().message;
        constexpr std::string_view prefix = "credentials file S:";
        FUZZ_CHECK(message.substr(0, prefix.size()) == prefix);
        const auto colon = message.find(": ", prefix.size());
        FUZZ_CHECK(colon != std::string::npos);
        const std::string_view line =
            std::string_view(message).substr(prefix.size(), colon - prefix.size());
        FUZZ_CHECK(!line.empty() && line.find_first_not_of("0123456789") == std::string_view::npos);
        FUZZ_CHECK(is_known_problem(std::string_view(message).substr(colon + 2)));
        return 0;
    }
    FUZZ_CHECK(parsed->size() <= keys.size());
    for (const auto key : keys) {
        if (const core::SecretString* value = parsed->find(key)) {
            FUZZ_CHECK(!value->empty());
            for (const char c : value->view()) {
                const auto byte = static_cast<unsigned char>(c);
                FUZZ_CHECK(byte >= 0x20 && byte != 0x7f);
            }
        }
    }
    return 0;
}
