// What a user types at the `Verification code:` prompt (the PAM
// conversation reply): normalize_typed_code, then check_code against a
// TOTP enrollment with backup codes, as a login does.
// Input: 2 bytes picking the time (in steps from a fixed start), 1 byte of
// flags, then the typed text. Flag 1 replaces the text's digits with the
// right TOTP code for that time (the separators stay), so that the
// accepting path is reached too.
// Invariants: the normalized code is the typed digits, in order; a code is
// accepted only if it is the TOTP code of a step inside the window, or a
// backup code; an accepted code is refused when typed again (no replay).
#include <string>

#include "fuzz_support.hpp"
#include "otpgate/core/enrollment/backup_codes.hpp"
#include "otpgate/core/login/code_check.hpp"
#include "otpgate/core/login/login_session.hpp"
#include "otpgate/core/primitives/otp.hpp"

using namespace otpgate;

namespace {

class FixedRandom final : public core::RandomSource {
public:
    void fill(std::uint8_t* out, std::size_t size) override {
        for (std::size_t i = 0; i < size; ++i) {
            out[i] = static_cast<std::uint8_t>(i * 37 + 11);
        }
    }
};

constexpr std::int64_t start = 1767225600;  // 2026-01-01
constexpr unsigned window = 1;

// The host's settings: the count the codes below are hashed with.
core::CheckCost cost(unsigned totp_window) {
    core::CheckCost out;
    out.backup_iterations = 1000;
    out.totp_window = totp_window;
    return out;
}
const std::vector<std::string> backup_codes = {"1234567890", "5555555555"};

const core::Enrollment& enrollment() {
    static const core::Enrollment value = [] {
        core::Enrollment e;
        e.id = "00112233445566778899aabbccddeeff";
        e.method = core::Method::totp;
        const std::string_view seed = "12345678901234567890";
        e.totp_secret.assign(seed.begin(), seed.end());
        std::vector<core::SecretString> codes;
        for (const auto& code : backup_codes) {
            codes.emplace_back(code);
        }
        FixedRandom random;
        e.backup = core::hash_backup_codes(random, codes, 10, 1000);
        return e;
    }();
    return value;
}

bool is_code_in_window(std::string_view digits, std::int64_t now) {
    for (int offset = -static_cast<int>(window); offset <= static_cast<int>(window); ++offset) {
        const auto code =
            core::totp(enrollment().totp_secret, now + offset * 30, enrollment().totp);
        if (code.view() == digits) {
            return true;
        }
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3 || size > 512) {
        return 0;
    }
    const std::int64_t now = start + 30 * ((data[0] << 8) | data[1]) + data[2] % 30;
    std::string typed(fuzz::as_text(data + 3, size - 3));
    if ((data[2] & 0x80) != 0) {
        // Put the right code's digits where the typed digits are.
        const auto code = core::totp(enrollment().totp_secret, now, enrollment().totp);
        std::size_t next = 0;
        std::string replaced;
        for (const char c : typed) {
            if (c >= '0' && c <= '9') {
                if (next < code.size()) {
                    replaced.push_back(code[next++]);
                }
            } else {
                replaced.push_back(c);
            }
        }
        while (next < code.size()) {
            replaced.push_back(code[next++]);
        }
        typed = replaced;
    }

    const auto digits = core::normalize_typed_code(typed);
    if (!digits) {
        return 0;
    }
    std::string expected;
    for (const char c : typed) {
        if (c >= '0' && c <= '9') {
            expected.push_back(c);
        }
    }
    FUZZ_CHECK(digits->view() == expected);
    FUZZ_CHECK(core::normalize_typed_code(digits->view())->view() == digits->view());

    core::UserState state;
    const core::CodeVerdict verdict =
        core::check_code(enrollment(), state, digits->view(), now, cost(window));
    const bool is_backup = std::find(backup_codes.begin(), backup_codes.end(),
                                     std::string(digits->view())) != backup_codes.end();
    if (verdict == core::CodeVerdict::accepted_totp) {
        FUZZ_CHECK(is_code_in_window(digits->view(), now));
    } else if (verdict == core::CodeVerdict::accepted_backup) {
        FUZZ_CHECK(is_backup);
    } else {
        FUZZ_CHECK(verdict == core::CodeVerdict::wrong);
        FUZZ_CHECK(!is_backup && !is_code_in_window(digits->view(), now));
        return 0;
    }
    const core::CodeVerdict again =
        core::check_code(enrollment(), state, digits->view(), now, cost(window));
    FUZZ_CHECK(again == core::CodeVerdict::replayed);
    return 0;
}
