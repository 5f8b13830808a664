#include "login_sandbox.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "login_case.hpp"
#include "otpgate/core/state/replay_fence.hpp"
#include "otpgate/core/system/user_account.hpp"

namespace otpgate::fuzz {

namespace {

constexpr std::string_view folder_prefix = "otpgate-fuzz-login.";

// A crash ends the process without destructors, leaving its folder behind:
// folders are named after their process, and those of processes that are
// gone are removed by the next run.
void remove_folders_of_ended_runs(const std::filesystem::path& parent) {
    std::error_code error;
    for (std::filesystem::directory_iterator entries(parent, error);
         !error && entries != std::filesystem::directory_iterator(); entries.increment(error)) {
        const std::string name = entries->path().filename().string();
        if (name.compare(0, folder_prefix.size(), folder_prefix) != 0) {
            continue;
        }
        const long pid = std::strtol(name.c_str() + folder_prefix.size(), nullptr, 10);
        if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
            std::error_code ignored;
            std::filesystem::remove_all(entries->path(), ignored);
        }
    }
}

}  // namespace

LoginSandbox::LoginSandbox() {
    // tmpfs where there is one: fsync costs nothing there, and a login
    // does several.
    const std::filesystem::path parent =
        std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    remove_folders_of_ended_runs(parent);
    m_root = parent / (std::string(folder_prefix) + std::to_string(::getpid()));
    std::filesystem::remove_all(m_root);
    if (::mkdir(m_root.c_str(), 0700) != 0) {
        throw std::runtime_error("cannot create the sandbox folder " + m_root.string());
    }
    // Users other than root read their enrollment with their own rights.
    std::filesystem::permissions(m_root, std::filesystem::perms(0711));
    m_state_dir = m_root / "state";
    m_enrollment_dir = m_root / "enroll";
    reset();
}

LoginSandbox::~LoginSandbox() {
    std::error_code ignored;
    std::filesystem::remove_all(m_root, ignored);
}

void LoginSandbox::reset() {
    for (const auto& entry : std::filesystem::directory_iterator(m_root)) {
        std::filesystem::remove_all(entry.path());
    }
    std::filesystem::create_directory(m_enrollment_dir);
    std::filesystem::permissions(m_enrollment_dir, std::filesystem::perms(0755));
    std::filesystem::create_directory(m_state_dir);
    std::filesystem::permissions(m_state_dir, std::filesystem::perms(0700));
}

std::vector<std::string> LoginSandbox::module_arguments(const LoginCase& login) const {
    // After the file: these win over whatever the fuzzed config says. No
    // program, server or DNS lookup is reachable: codes go to outboxes.
    std::vector<std::string> arguments = {
        "config=" + config_file().string(),
        "state_dir=" + m_state_dir.string(),
        "enrollment_path=" + m_enrollment_dir.string() + "/%u",
        "lock_timeout_ms=100",
        "fail_delay_ms=0",
        // The count the world's backup codes are hashed at (login_world.cpp):
        // a right backup code is reachable, and every derivation stays cheap.
        "backup_code_iterations=1000",
        "sms_backend=file",
        "email_backend=file",
        "sms_outbox=" + outbox(true).string(),
        "email_outbox=" + outbox(false).string(),
        "exempt_networks_resolve=no",
    };
    if (login.nullok) {
        arguments.emplace_back("nullok");
    }
    if (login.debug) {
        arguments.emplace_back("debug");
    }
    if (login.allow_uk_numbers) {
        arguments.emplace_back("sms_allowed_countries=44");
    }
    if (login.remember_host) {
        arguments.emplace_back("remember_host=600");
    }
    return arguments;
}

void LoginSandbox::write_file(const std::filesystem::path& path, std::string_view bytes,
                              mode_t mode, uid_t owner) {
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!out) {
            throw std::runtime_error("cannot write " + path.string());
        }
    }
    if (::chmod(path.c_str(), mode) != 0 ||
        ::chown(path.c_str(), owner, static_cast<gid_t>(-1)) != 0) {
        throw std::runtime_error("cannot set the owner and mode of " + path.string());
    }
}

std::optional<std::string> LoginSandbox::read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    return std::string(std::istreambuf_iterator<char>(in), {});
}

StateSnapshot LoginSandbox::state_of(const std::string& user) const {
    StateSnapshot snapshot;
    if (!core::validate_user_name(user)) {
        return snapshot;
    }
    const std::filesystem::path path = m_state_dir / user;
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) {
        return snapshot;  // absent, or no state directory
    }
    snapshot.kind = StateSnapshot::Kind::unusable;
    if (!core::is_private_record(info)) {
        return snapshot;
    }
    const auto bytes = read_file(path);
    if (!bytes || bytes->size() != core::state_file_size) {
        return snapshot;
    }
    // The newest valid slot, slot 1 on a tie: what StateStore::lock reads.
    std::optional<std::uint64_t> newest;
    for (std::size_t slot = 0; slot < 2; ++slot) {
        const auto* start =
            reinterpret_cast<const std::uint8_t*>(bytes->data()) + slot * core::state_slot_size;
        if (auto record = core::decode_state_slot(start);
            record && (!newest || record->second >= *newest)) {
            newest = record->second;
            snapshot.state = std::move(record->first);
            snapshot.kind = StateSnapshot::Kind::valid;
        }
    }
    return snapshot;
}

FenceSnapshot LoginSandbox::fence() const {
    const std::filesystem::path path = m_state_dir / core::replay_fence_file_name;
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) {
        return FenceSnapshot::absent;
    }
    if (!core::is_private_record(info)) {
        return FenceSnapshot::damaged;
    }
    const auto bytes = read_file(path);
    if (!bytes) {
        return FenceSnapshot::damaged;
    }
    if (bytes->empty()) {
        return FenceSnapshot::empty;
    }
    return core::decode_replay_fence_file(*bytes) ? FenceSnapshot::valid : FenceSnapshot::damaged;
}

}  // namespace otpgate::fuzz
