#include "otpgate/core/enrollment/google_authenticator_import.hpp"

#include <algorithm>
#include <cstdlib>

#include "otpgate/core/enrollment/backup_codes.hpp"
#include "otpgate/core/primitives/otp.hpp"

namespace otpgate::core {
namespace {

static_assert(google_authenticator_scratch_digits == imported_backup_code_digits,
              "scratch codes are the imported backup codes that check_code looks up");

// The limits parse_enrollment puts on what it reads back.
constexpr std::size_t min_secret_bytes = 10;
constexpr std::size_t max_secret_bytes = 64;
constexpr unsigned min_period = 10;

Error cannot_import(const std::string& why) {
    return make_error(ErrorKind::invalid_input, why);
}

std::string steps(std::int64_t count) {
    return std::to_string(count) + (count == 1 ? " step" : " steps");
}

std::optional<Error> refusal(const GoogleAuthenticatorFile& file) {
    if (file.hotp_counter && *file.hotp_counter >= 1) {
        // google-authenticator then checks counter codes, whatever TOTP_AUTH says.
        return cannot_import(
            "it is set up for counter-based codes (HOTP_COUNTER), which otpgate does not accept "
            "at login: the app's codes would stop working. Set the user up anew with "
            "`otpgate enroll totp`");
    }
    if (!file.totp) {
        return cannot_import(
            "it sets up neither time-based codes (TOTP_AUTH) nor counter-based ones: "
            "google-authenticator accepts only its scratch codes for this user");
    }
    if (file.step_size < min_period) {
        return cannot_import("STEP_SIZE " + std::to_string(file.step_size) +
                             ": otpgate needs 10 to 300 seconds per code");
    }
    if (file.secret.size() < min_secret_bytes || file.secret.size() > max_secret_bytes) {
        return cannot_import("the secret has " + std::to_string(file.secret.size() * 8) +
                             " bits; otpgate needs 80 to 512");
    }
    if (file.scratch_codes.size() > max_backup_codes) {
        return cannot_import(std::to_string(file.scratch_codes.size()) +
                             " scratch codes; otpgate keeps at most " +
                             std::to_string(max_backup_codes) + " backup codes");
    }
    return std::nullopt;
}

// google-authenticator's window of w codes runs from (w-1)/2 steps before
// now to w/2 after; otpgate's totp_window is the same on both sides.
void report_window(const GoogleAuthenticatorFile& file, const Config& config,
                   GoogleAuthenticatorImport& out) {
    const std::string option = "WINDOW_SIZE " + std::to_string(file.window_size);
    const std::string global = "totp_window = " + std::to_string(config.totp_window);
    if (file.window_size == 2 * config.totp_window + 1) {
        out.carried.push_back(option + ": the same window as otpgate's " + global);
        return;
    }
    out.not_carried.push_back(
        option + " (codes from " + steps((file.window_size - 1) / 2) + " before to " +
        steps(file.window_size / 2) + " after now): otpgate's window is one setting for all " +
        "users, " + global + " in otpgate.conf (" + steps(config.totp_window) + " either side)");
}

void report_skew(const GoogleAuthenticatorFile& file, const Config& config,
                 GoogleAuthenticatorImport& out) {
    if (file.time_skew == 0) {
        return;
    }
    const std::int64_t off = std::llabs(file.time_skew);
    std::string line = "TIME_SKEW " + std::to_string(file.time_skew) + " (the phone's clock is " +
                       steps(off) + ", " + std::to_string(off * file.step_size) + " seconds, " +
                       (file.time_skew > 0 ? "ahead" : "behind") +
                       "): google-authenticator made up for it, otpgate does not; ";
    line += off > config.totp_window
                ? "its codes are refused until the phone's clock is set right"
                : "it is within totp_window = " + std::to_string(config.totp_window);
    out.not_carried.push_back(std::move(line));
}

void report_options(const GoogleAuthenticatorFile& file, GoogleAuthenticatorImport& out) {
    if (file.disallow_reuse) {
        out.carried.emplace_back("DISALLOW_REUSE: otpgate, too, accepts each code only once");
    } else {
        out.not_carried.emplace_back(
            "reusing a code was allowed (no DISALLOW_REUSE): otpgate always refuses a code "
            "that was used before");
    }
    if (file.rate_limit) {
        out.not_carried.push_back("RATE_LIMIT " + std::to_string(file.rate_limit->logins) +
                                  " logins in " + std::to_string(file.rate_limit->seconds) +
                                  " seconds: otpgate limits wrong codes instead, with its own "
                                  "settings in otpgate.conf");
    }
    for (const auto& name : file.unknown_options) {
        out.not_carried.push_back("option " + name + ": unknown to otpgate, ignored");
    }
}

// google-authenticator forgets used steps outside its window, so a listed
// step beyond now + skew + window did not come from a login.
void take_used_step(const GoogleAuthenticatorFile& file, std::int64_t now,
                    GoogleAuthenticatorImport& out) {
    if (!file.newest_used_step) {
        return;
    }
    const std::int64_t latest_possible =
        totp_step(now, file.step_size) + file.time_skew + file.window_size;
    if (*file.newest_used_step <= latest_possible) {
        out.used_step = file.newest_used_step;
    } else {
        out.not_carried.emplace_back(
            "DISALLOW_REUSE lists a time step later than any code of now: ignored");
    }
}

}  // namespace

Result<GoogleAuthenticatorImport> import_google_authenticator(const GoogleAuthenticatorFile& file,
                                                              const Config& config,
                                                              RandomSource& random,
                                                              std::int64_t now) {
    if (const auto refused = refusal(file)) {
        return *refused;
    }
    GoogleAuthenticatorImport out;
    Enrollment& enrollment = out.enrollment;
    enrollment.method = Method::totp;
    enrollment.created = now;
    enrollment.totp_secret = file.secret;
    enrollment.totp =
        TotpParameters{HashAlgorithm::sha1, google_authenticator_digits, file.step_size};
    enrollment.backup =
        hash_backup_codes(random, file.scratch_codes, google_authenticator_scratch_digits,
                          config.backup_code_iterations);
    // A new id: spent-code marks of an earlier enrollment do not apply.
    enrollment.id = random_hex(random, 16);

    out.carried.push_back("the secret (" + std::to_string(file.secret.size() * 8) +
                          " bits), SHA1, 6 digits, a new code every " +
                          std::to_string(file.step_size) +
                          " seconds: the authenticator app keeps working as it is");
    if (file.scratch_codes.empty()) {
        out.not_carried.emplace_back(
            "no scratch codes: the user has no backup codes until `otpgate backup-codes` makes "
            "some");
    } else {
        const std::size_t count = file.scratch_codes.size();
        out.carried.push_back(
            std::to_string(count) +
            (count == 1 ? " scratch code, as a backup code" : " scratch codes, as backup codes") +
            " (8 digits, each works once)");
    }
    report_options(file, out);
    report_window(file, config, out);
    report_skew(file, config, out);
    take_used_step(file, now, out);
    return out;
}

std::size_t drop_spent_scratch_codes(GoogleAuthenticatorFile& file, const Enrollment& previous,
                                     const UserState& state, unsigned iterations) {
    if (state.enrollment_id != previous.id || state.backup_used_mask == 0) {
        return 0;
    }
    const auto before = file.scratch_codes.size();
    // Codes hashed at another count are never derived at it (a count the
    // user could have written): which were spent cannot be told, so all are.
    const bool checkable = backup_codes_usable(previous.backup, iterations);
    const auto spent = [&](const SecretString& code) {
        if (!checkable) {
            return true;
        }
        const auto index = find_backup_code(previous.backup, code.view(), iterations);
        return index && *index < 64 && (state.backup_used_mask >> *index & 1U) != 0;
    };
    file.scratch_codes.erase(
        std::remove_if(file.scratch_codes.begin(), file.scratch_codes.end(), spent),
        file.scratch_codes.end());
    return before - file.scratch_codes.size();
}

}  // namespace otpgate::core
