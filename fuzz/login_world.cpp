#include "login_world.hpp"

#include <array>
#include <cstring>

#include "otpgate/core/enrollment/backup_codes.hpp"
#include "otpgate/core/primitives/destination.hpp"
#include "otpgate/core/state/remembered_host.hpp"
#include "otpgate/core/state/replay_fence.hpp"
#include "otpgate/core/system/user_account.hpp"

namespace otpgate::fuzz {
namespace {

constexpr std::string_view enrollment_id = "0123456789abcdef0123456789abcdef";
constexpr std::string_view other_enrollment_id = "fedcba9876543210fedcba9876543210";
constexpr std::string_view other_boot_id = "00000000-0000-4000-8000-000000000000";
constexpr unsigned backup_iterations = 1000;  // the least an enrollment may say

class FixedRandom final : public core::RandomSource {
public:
    void fill(std::uint8_t* out, std::size_t size) override { std::memset(out, 0x5a, size); }
};

std::vector<std::string> plain_backup_codes(const EnrollmentSpec& spec) {
    std::vector<std::string> codes;
    for (unsigned i = 0; i < spec.backup_count; ++i) {
        std::string code;
        for (unsigned j = 0; j < spec.backup_digits; ++j) {
            code.push_back(
                static_cast<char>('0' + (spec.backup_seed * 31U + i * 7U + j * 3U) % 10));
        }
        codes.push_back(code);
    }
    return codes;
}

core::Enrollment make_enrollment(const EnrollmentSpec& spec,
                                 const std::vector<std::string>& codes) {
    core::Enrollment enrollment;
    enrollment.id = enrollment_id;
    enrollment.created = login_epoch;
    if (spec.kind == EnrollmentSpec::Kind::sms) {
        enrollment.method = core::Method::sms;
        enrollment.destination = "+447700900123";
    } else if (spec.kind == EnrollmentSpec::Kind::email) {
        enrollment.method = core::Method::email;
        enrollment.destination = "alice@example.com";
    } else {
        enrollment.totp_secret.assign(spec.secret.begin(), spec.secret.end());
        enrollment.totp = spec.totp;
    }
    std::vector<core::SecretString> secret_codes;
    for (const auto& code : codes) {
        secret_codes.emplace_back(code);
    }
    FixedRandom random;
    enrollment.backup =
        core::hash_backup_codes(random, secret_codes, spec.backup_digits, backup_iterations);
    return enrollment;
}

uid_t uid_of(const std::string& user) {
    const auto account = core::lookup_user(user);
    return account ? account->uid : 0;
}

void write_enrollment(const LoginCase& login, const LoginSandbox& sandbox, LoginWorld& world) {
    const EnrollmentSpec& spec = login.enrollment;
    const std::filesystem::path path = sandbox.enrollment_file(login.user_name);
    const uid_t owner = uid_of(login.user_name);
    switch (spec.kind) {
        case EnrollmentSpec::Kind::none: return;
        case EnrollmentSpec::Kind::directory: std::filesystem::create_directory(path); return;
        case EnrollmentSpec::Kind::bytes:
            LoginSandbox::write_file(path, spec.bytes, 0600, owner);
            if (auto parsed = core::parse_enrollment(spec.bytes)) {
                world.enrollment = std::move(parsed.value());
            }
            return;
        case EnrollmentSpec::Kind::totp:
        case EnrollmentSpec::Kind::sms:
        case EnrollmentSpec::Kind::email:
        case EnrollmentSpec::Kind::group_readable: break;
    }
    world.backup_codes = plain_backup_codes(spec);
    world.enrollment = make_enrollment(spec, world.backup_codes);
    const bool readable_by_group = spec.kind == EnrollmentSpec::Kind::group_readable;
    world.refused = readable_by_group;
    LoginSandbox::write_file(path, core::serialize_enrollment(*world.enrollment).view(),
                             readable_by_group ? 0640 : 0600, owner);
}

core::UserState make_state(const LoginCase& login, const LoginWorld& world) {
    const StateSpec& spec = login.state;
    const std::int64_t now = login.clock.start;
    const unsigned period = world.enrollment ? world.enrollment->totp.period : 30;
    core::UserState state;
    state.enrollment_id = spec.same_enrollment ? enrollment_id : other_enrollment_id;
    if (spec.has_last_step) {
        state.last_totp_step = core::totp_step(now, period) + spec.last_step;
    }
    state.backup_used_mask = spec.spent_backups;
    if (spec.verified_destination && world.enrollment) {
        if (const auto channel = core::channel_of(world.enrollment->method)) {
            state.verified_destination =
                core::destination_fingerprint(*channel, world.enrollment->destination);
            state.verified_at = now - 86400;
        }
    }
    for (unsigned i = spec.recent_sends; i > 0; --i) {
        state.recent_sends.push_back(now - 45 * static_cast<std::int64_t>(i));
    }
    for (unsigned i = spec.recent_failures; i > 0; --i) {
        state.recent_failures.push_back(now - 7 * static_cast<std::int64_t>(i));
    }
    if (spec.locked) {
        state.locked_at = now - 30;
    }
    if (spec.remembered_host && login.host_key && login.remote_host && world.enrollment) {
        const core::SecretBytes key(login.host_key->begin(), login.host_key->end());
        state.remembered_hosts.push_back(
            {core::host_tag(key, login.user_name, world.enrollment->id, *login.remote_host),
             now - 60});
    }
    return state;
}

void write_state(const LoginCase& login, const LoginSandbox& sandbox, const LoginWorld& world) {
    const StateSpec& spec = login.state;
    const std::filesystem::path path = sandbox.state_dir() / login.user_name;
    switch (spec.kind) {
        case StateSpec::Kind::none: return;
        case StateSpec::Kind::no_directory:
            std::filesystem::remove_all(sandbox.state_dir());
            return;
        case StateSpec::Kind::directory: std::filesystem::create_directory(path); return;
        case StateSpec::Kind::bytes: LoginSandbox::write_file(path, spec.bytes, 0600); return;
        case StateSpec::Kind::record:
        case StateSpec::Kind::group_readable: break;
    }
    // The record before the newest: one step less spent.
    const core::UserState newer = make_state(login, world);
    core::UserState older = newer;
    if (older.last_totp_step) {
        --*older.last_totp_step;
    }
    std::array<std::uint8_t, core::state_file_size> bytes{};
    core::encode_state_slot(older, 7, bytes.data());
    core::encode_state_slot(newer, 8, bytes.data() + core::state_slot_size);
    if (spec.older_slot_torn) {
        bytes[100] ^= 0x40;
    }
    if (spec.newer_slot_torn) {
        bytes[core::state_slot_size + 100] ^= 0x40;
    }
    LoginSandbox::write_file(path, {reinterpret_cast<const char*>(bytes.data()), bytes.size()},
                             spec.kind == StateSpec::Kind::group_readable ? 0640 : 0600);
}

void write_fence(const LoginCase& login, const LoginSandbox& sandbox) {
    const FenceSpec& spec = login.fence;
    const std::filesystem::path path = sandbox.state_dir() / core::replay_fence_file_name;
    if (spec.kind == FenceSpec::Kind::none || !std::filesystem::exists(sandbox.state_dir())) {
        return;
    }
    if (spec.kind == FenceSpec::Kind::empty || spec.kind == FenceSpec::Kind::bytes) {
        LoginSandbox::write_file(path, spec.bytes, 0600);
        return;
    }
    const auto this_boot = core::current_boot_id();
    if (!this_boot) {
        return;
    }
    const std::int64_t step = core::totp_step(login.clock.start, 30);
    core::ReplayFenceRecord record;
    record.boot_id =
        spec.kind == FenceSpec::Kind::this_boot ? *this_boot : std::string(other_boot_id);
    record.newest_start = (step + spec.newest_step) * 30;
    if (spec.refused_step != 0) {
        record.refused_through = (step + spec.refused_step) * 30;
    }
    std::array<std::uint8_t, core::replay_fence_file_size> bytes{};
    core::encode_replay_fence_slot(record, 1, bytes.data());
    LoginSandbox::write_file(path, {reinterpret_cast<const char*>(bytes.data()), bytes.size()},
                             0600);
}

}  // namespace

LoginWorld build_login_world(const LoginCase& login, const LoginSandbox& sandbox) {
    LoginWorld world;
    LoginSandbox::write_file(sandbox.config_file(), login.config_text, 0600);
    // Files are named after the user; a name that cannot be a file name
    // (which the module refuses) gets none.
    const bool named_file = !login.user_name.empty() && core::validate_user_name(login.user_name);
    if (named_file) {
        write_enrollment(login, sandbox, world);
        write_state(login, sandbox, world);
    }
    write_fence(login, sandbox);
    if (login.host_key && std::filesystem::exists(sandbox.state_dir())) {
        LoginSandbox::write_file(sandbox.state_dir() / core::host_key_file_name, *login.host_key,
                                 0600);
    }
    return world;
}

}  // namespace otpgate::fuzz
