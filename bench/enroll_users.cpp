// otpgate_bench_enroll: writes otpgate enrollments for the benchmark's
// users through the core library, as `otpgate enroll` would. A separate
// program so that the harness itself links nothing of ours: every module
// is then loaded by libpam into the same bare process.
//
// Usage: otpgate_bench_enroll STATE_DIR LOCAL_STATE_DIR < lines
// Each user's enrollment goes both to ~/.otpgate (store = files, with
// STATE_DIR) and to LOCAL_STATE_DIR/.enrollments (store = local).
//   USER totp HEX_SECRET      TOTP, SHA1, 6 digits, 30 s
//   USER sms +447700900123    SMS, the destination recorded as verified
#include <cstdio>
#include <ctime>
#include <iostream>
#include <sstream>
#include <string>

#include "otpgate/core/enrollment/backup_codes.hpp"
#include "otpgate/core/enrollment/enrollment_store.hpp"
#include "otpgate/core/enrollment/root_enrollment_store.hpp"
#include "otpgate/core/primitives/destination.hpp"
#include "otpgate/core/primitives/hex.hpp"
#include "otpgate/core/primitives/random.hpp"
#include "otpgate/core/state/state_store.hpp"
#include "otpgate/core/system/user_account.hpp"

namespace {

using namespace otpgate::core;

otpgate::core::SecretBytes from_hex(const std::string& hex) {
    SecretBytes bytes;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        bytes.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
    }
    return bytes;
}

bool record_verified(const StateStore& states, const std::string& user,
                     const Enrollment& enrollment) {
    auto locked = states.lock(user);
    if (!locked) {
        std::cerr << user << ": " << locked.error().message << "\n";
        return false;
    }
    locked->state().verified_destination =
        destination_fingerprint(Channel::sms, enrollment.destination);
    locked->state().verified_at = enrollment.created;
    if (auto committed = locked->commit(); !committed) {
        std::cerr << user << ": " << committed.error().message << "\n";
        return false;
    }
    return true;
}

bool enroll_one(const std::string& line, const StateStore& states, const StateStore& local_states,
                const RootEnrollmentStore& local_store, OpenSslRandom& random) {
    std::istringstream fields(line);
    std::string user;
    std::string method;
    std::string value;
    if (!(fields >> user >> method >> value)) {
        std::cerr << "bad line: " << line << "\n";
        return false;
    }
    const auto account = lookup_user(user);
    if (!account) {
        std::cerr << user << ": " << account.error().message << "\n";
        return false;
    }
    Enrollment enrollment;
    enrollment.id = random_hex(random, 16);
    enrollment.created = static_cast<std::int64_t>(std::time(nullptr));
    // Ten 10-digit backup codes as `otpgate enroll` makes, but hashed with
    // the fewest PBKDF2 rounds the parser accepts: thousands of users must
    // enroll quickly, and a 6-digit TOTP code is never looked up among them.
    enrollment.backup = make_backup_codes(random, 10, 10, 1000).stored;
    if (method == "totp") {
        enrollment.method = Method::totp;
        enrollment.totp_secret = from_hex(value);
    } else {
        enrollment.method = Method::sms;
        enrollment.destination = value;
        if (!record_verified(states, user, enrollment) ||
            !record_verified(local_states, user, enrollment)) {
            return false;
        }
    }
    const EnrollmentStore store("%h/.otpgate");
    if (auto saved = store.save(*account, enrollment); !saved) {
        std::cerr << user << ": " << saved.error().message << "\n";
        return false;
    }
    if (auto saved = local_store.save(*account, enrollment); !saved) {
        std::cerr << user << " (local): " << saved.error().message << "\n";
        return false;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: otpgate_bench_enroll STATE_DIR LOCAL_STATE_DIR < lines\n";
        return 2;
    }
    const StateStore states(argv[1]);
    const StateStore local_states(argv[2]);
    const RootEnrollmentStore local_store(argv[2]);
    OpenSslRandom random;
    std::string line;
    int failures = 0;
    while (std::getline(std::cin, line)) {
        if (!line.empty() && !enroll_one(line, states, local_states, local_store, random)) {
            ++failures;
        }
    }
    return failures == 0 ? 0 : 1;
}
