// A throw-away world for one test process: users known only to nss_wrapper,
// their homes, the module's state directory, a clock libfaketime reads, and
// an oracle for TOTP codes that is not our own code (oathtool).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "otpgate/core/enrollment/enrollment.hpp"
#include "otpgate/core/primitives/otp.hpp"
#include "otpgate/core/storage/storage.hpp"
#include "otpgate/core/system/logger.hpp"

namespace otpgate::pam_tests {

// 2026-01-01 00:00:15 UTC: the middle of a 30-second step, so that tests
// stepping the clock by whole periods never land on a boundary.
inline constexpr std::int64_t base_time = 1'767'225'615;

// PBKDF2 rounds of the sandbox's backup codes and its config's
// backup_code_iterations: the fewest the parser accepts, to keep tests fast.
inline constexpr unsigned sandbox_backup_iterations = 1000;

struct TestUser {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::filesystem::path home;
};

// What a test knows about an enrollment it wrote: the secret (for the
// oracle and for checking that logs never show it) and the backup codes.
struct KnownEnrollment {
    std::string user;
    core::Enrollment enrollment;
    std::string secret_base32;
    std::string secret_hex;
    std::vector<std::string> backup_codes;  // plain digits
};

// The store the tiers run with: OTPGATE_TEST_STORE, `files` (also when it
// is unset) or `local` (tests/CMakeLists.txt registers each test once per
// store). Any other value throws: a typo must not quietly test `files`.
enum class TestStore { files, local };
TestStore test_store_from_environment();

class Sandbox {
public:
    // Creates /tmp/otpgate-pam.XXXXXX (mode 0755), users alice, bob, carol,
    // dave, erin, frank, grace and heidi with homes inside it, and points
    // nss_wrapper and libfaketime at its files.
    Sandbox();
    ~Sandbox();
    Sandbox(const Sandbox&) = delete;
    Sandbox& operator=(const Sandbox&) = delete;

    [[nodiscard]] const std::filesystem::path& root() const noexcept { return m_root; }
    [[nodiscard]] std::filesystem::path state_dir() const { return m_root / "state"; }
    [[nodiscard]] std::filesystem::path state_file(std::string_view user) const {
        return state_dir() / std::string(user);
    }
    [[nodiscard]] const std::vector<TestUser>& users() const noexcept { return m_users; }
    [[nodiscard]] const TestUser& user(std::string_view name) const;
    // The default enrollment_path, %h/.otpgate.
    [[nodiscard]] std::filesystem::path enrollment_file(std::string_view user) const;

    [[nodiscard]] TestStore store() const noexcept { return m_store; }
    [[nodiscard]] bool local_store() const noexcept { return m_store == TestStore::local; }
    // Where the configured store keeps the user's enrollment (files: the
    // enrollment_path; local: <state_dir>/.enrollments/<user>), as the store
    // itself says.
    [[nodiscard]] std::filesystem::path enrollment_location(std::string_view user) const;
    // The owner the store requires of that file: the user, or root (local).
    [[nodiscard]] uid_t enrollment_owner(std::string_view user) const;

    // Freezes the faked clock at `unix_time` (atomically replaces the file).
    void set_time(std::int64_t unix_time);
    [[nodiscard]] std::int64_t time() const noexcept { return m_time; }

    // Writes the config file every service names: the state directory in
    // this sandbox, debug logging, sandbox_backup_iterations, the store
    // (lines 2 to 5), then `extra` lines from line 6.
    void write_config(std::string_view extra = {}) const;

    // The store the module opens with the config's first lines: this
    // sandbox's state directory and store, the default enrollment_path.
    [[nodiscard]] std::unique_ptr<core::Storage> storage() const;

    // Writes an enrollment through that store, as `otpgate enroll` would.
    KnownEnrollment enroll(std::string_view user, core::TotpParameters params = {},
                           unsigned backup_codes = 10) const;
    void save_enrollment(std::string_view user, const core::Enrollment& enrollment) const;

    // Replaces the user's enrollment with `text`, owned and placed as the
    // store wants its files (local: after the line naming the user's uid),
    // so that only `text` can be refused.
    void plant_enrollment(std::string_view user, std::string_view text, mode_t mode = 0600) const;

private:
    std::filesystem::path m_root;
    std::vector<TestUser> m_users;
    std::int64_t m_time = base_time;
    TestStore m_store = TestStore::files;
    // Outlives every storage() it serves; says on stderr why a store failed.
    std::unique_ptr<core::Logger> m_storage_log;
};

// The code oathtool computes for `enrollment` at `unix_time`.
std::string oath_totp(const KnownEnrollment& enrollment, std::int64_t unix_time);

// The config file path compiled into the service files.
std::filesystem::path test_config_path();

// Whole-file helpers for setting up broken files.
void write_file(const std::filesystem::path& path, std::string_view content, mode_t mode);
std::string read_file(const std::filesystem::path& path);
void change_owner(const std::filesystem::path& path, uid_t uid, gid_t gid);

// The preloaded wrappers answer to these; tests refuse to run without them.
bool pam_wrapper_active();
bool nss_wrapper_active();

}  // namespace otpgate::pam_tests
