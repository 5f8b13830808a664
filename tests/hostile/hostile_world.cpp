#include "hostile_world.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "otpgate/core/enrollment/backup_codes.hpp"
#include "otpgate/core/enrollment/enrollment_store.hpp"
#include "otpgate/core/primitives/base32.hpp"
#include "otpgate/core/primitives/destination.hpp"
#include "otpgate/core/primitives/hex.hpp"
#include "otpgate/core/primitives/random.hpp"
#include "otpgate/core/state/state_store.hpp"
#include "otpgate/core/system/user_account.hpp"

namespace otpgate::hostile_tests {
namespace {

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
}

}  // namespace

// ---- helper servers -------------------------------------------------------

// ---- file systems ---------------------------------------------------------

void enter_private_mount_namespace() {
    static bool entered = false;
    if (entered) {
        return;
    }
    // ctest already starts the suite under `unshare --mount`; a namespace of
    // our own on top makes sure that no mount can ever reach the host, even
    // when the program is run by hand. Forked logins share it.
    if (unshare(CLONE_NEWNS) != 0) {
        fail("unshare(CLONE_NEWNS)");
    }
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        fail("making / private in the new mount namespace");
    }
    entered = true;
}

namespace {
std::vector<std::filesystem::path>& mounted() {
    static std::vector<std::filesystem::path> paths;
    return paths;
}
}  // namespace

void mount_tmpfs(const std::filesystem::path& at, const std::string& options) {
    enter_private_mount_namespace();
    std::filesystem::create_directories(at);
    if (mount("otpgate-hostile", at.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
        fail("mount tmpfs at " + at.string());
    }
    mounted().push_back(at);
}

void unmount_all() {
    // Newest first; detached, so that nothing still open can keep one.
    for (auto at = mounted().rbegin(); at != mounted().rend(); ++at) {
        umount2(at->c_str(), MNT_DETACH);
    }
    mounted().clear();
}

void remount_read_only(const std::filesystem::path& at) {
    if (mount(nullptr, at.c_str(), nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
              nullptr) != 0) {
        fail("remount " + at.string() + " read-only");
    }
}

void fill_file_system(const std::filesystem::path& directory) {
    const auto path = directory / "filler";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fail("open " + path.string());
    }
    const std::string block(4096, 'f');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    // Then byte by byte into the last partial page, so nothing is left.
    while (::write(fd, "f", 1) > 0) {
    }
    ::close(fd);
}

// ---- the world ------------------------------------------------------------

World::World() {
    config("");
}

World::~World() {
    m_server.reset();
    unmount_all();  // before the sandbox is removed: its mount points are in it
}

void World::config(std::string_view lines) {
    m_extra_config += lines;
    if (!m_extra_config.empty() && m_extra_config.back() != '\n') {
        m_extra_config += "\n";
    }
    std::error_code ignored;
    std::filesystem::remove_all(config_path(), ignored);  // a case may have made it a directory
    m_sandbox.write_config("max_attempts = 1\n" + m_extra_config);
}

void World::use_state_dir(const std::filesystem::path& directory) {
    m_state_dir = directory;
    config("state_dir = " + directory.string() + "\n");
}

std::filesystem::path World::state_dir() const {
    return m_state_dir.value_or(m_sandbox.state_dir());
}

std::filesystem::path World::config_path() const {
    return pam_tests::test_config_path();
}

void World::add_user(const std::string& name, uid_t uid) {
    const auto home = root() / "home" / ("u" + std::to_string(uid));
    std::filesystem::create_directories(home);
    pam_tests::change_owner(home, uid, uid);
    std::filesystem::permissions(home, std::filesystem::perms::owner_all);
    std::string passwd = pam_tests::read_file(root() / "passwd");
    passwd += name + ":x:" + std::to_string(uid) + ":" + std::to_string(uid) +
              ":hostile:" + home.string() + ":/bin/sh\n";
    std::string group = pam_tests::read_file(root() / "group");
    group += "g" + std::to_string(uid) + ":x:" + std::to_string(uid) + ":\n";
    // Renamed into place: nss_wrapper sees a new file and reloads it.
    pam_tests::write_file(root() / "passwd.new", passwd, 0644);
    std::filesystem::rename(root() / "passwd.new", root() / "passwd");
    pam_tests::write_file(root() / "group.new", group, 0644);
    std::filesystem::rename(root() / "group.new", root() / "group");
    m_added_users[name] = {uid, home};
}

std::filesystem::path World::home_of(const std::string& user) const {
    if (const auto found = m_added_users.find(user); found != m_added_users.end()) {
        return found->second.second;
    }
    return m_sandbox.user(user).home;
}

uid_t World::uid_of(const std::string& user) const {
    if (const auto found = m_added_users.find(user); found != m_added_users.end()) {
        return found->second.first;
    }
    return m_sandbox.user(user).uid;
}

namespace {

core::Enrollment new_enrollment(core::RandomSource& random, std::int64_t now,
                                KnownEnrollment& known) {
    core::Enrollment enrollment;
    enrollment.id = core::random_hex(random, 16);
    enrollment.created = now;
    auto codes = core::make_backup_codes(random, 10, 10, pam_tests::sandbox_backup_iterations);
    enrollment.backup = codes.stored;
    for (const auto& code : codes.codes) {
        known.backup_codes.emplace_back(code.view());
    }
    return enrollment;
}

void save(const std::string& user, const core::Enrollment& enrollment) {
    const auto account = core::lookup_user(user);  // through nss_wrapper
    if (!account) {
        throw std::runtime_error(account.error().message);
    }
    const core::EnrollmentStore store("%h/.otpgate");
    if (auto saved = store.save(*account, enrollment); !saved) {
        throw std::runtime_error("cannot enroll " + user + ": " + saved.error().message);
    }
}

}  // namespace

const KnownEnrollment& World::enroll(const std::string& user) {
    core::OpenSslRandom random;
    KnownEnrollment known;
    known.user = user;
    known.enrollment = new_enrollment(random, m_sandbox.time(), known);
    known.enrollment.totp_secret = core::random_bytes(random, 20);
    known.secret_base32 = std::string(core::base32_encode(known.enrollment.totp_secret).view());
    known.secret_hex =
        core::hex_encode(known.enrollment.totp_secret.data(), known.enrollment.totp_secret.size());
    save(user, known.enrollment);
    return m_known[user] = std::move(known);
}

void World::enroll_delivered(const std::string& user, core::Method method,
                             const std::string& destination) {
    core::OpenSslRandom random;
    KnownEnrollment known;
    known.user = user;
    known.enrollment = new_enrollment(random, m_sandbox.time(), known);
    known.enrollment.method = method;
    known.enrollment.destination = destination;
    save(user, known.enrollment);
    // What `otpgate enroll sms` leaves behind once the user proved the number.
    const core::StateStore states(state_dir());
    auto locked = states.lock(user);
    if (!locked) {
        throw std::runtime_error(locked.error().message);
    }
    locked->state().verified_destination =
        core::destination_fingerprint(*core::channel_of(method), destination);
    locked->state().verified_at = m_sandbox.time();
    if (auto saved = locked->commit(); !saved) {
        throw std::runtime_error(saved.error().message);
    }
    m_known[user] = std::move(known);
}

const KnownEnrollment& World::known(const std::string& user) const {
    return m_known.at(user);
}

std::string World::code(const std::string& user, std::int64_t steps) const {
    const auto& known = m_known.at(user);
    return pam_tests::oath_totp(known, m_sandbox.time() + steps * known.enrollment.totp.period);
}

std::string World::wrong_code(const std::string& user) const {
    std::vector<std::string> near;
    for (std::int64_t step = -2; step <= 2; ++step) {
        near.push_back(code(user, step));
    }
    std::string candidate = near[2];
    for (char& digit : candidate) {
        digit = static_cast<char>('0' + (digit - '0' + 5) % 10);
        if (std::find(near.begin(), near.end(), candidate) == near.end()) {
            return candidate;
        }
    }
    throw std::runtime_error("no wrong code found");
}

void World::step_clock(std::int64_t seconds) {
    m_sandbox.set_time(m_sandbox.time() + seconds);
}

std::string World::expand(const std::string& text, const std::string& user) const {
    if (text.find('{') == std::string::npos || !m_known.count("alice")) {
        return text;
    }
    std::string out = text;
    if (m_known.count(user) != 0) {
        replace_all(out, "{code:user}", code(user));
    }
    const bool totp = m_known.at("alice").enrollment.method == core::Method::totp;
    if (totp) {
        replace_all(out, "{code}", code("alice"));
        replace_all(out, "{code-1}", code("alice", -1));
        replace_all(out, "{code+1}", code("alice", 1));
        replace_all(out, "{wrong}", wrong_code("alice"));
    }
    replace_all(out, "{backup}", m_known.at("alice").backup_codes.front());
    return out;
}

void World::log_in_once(const std::string& user) {
    LoginAttempt attempt;
    attempt.user = user;
    attempt.replies = {{Reply::Kind::text, code(user)}};
    const LoginResult result = run_attempt(attempt);
    if (result.auth_rc != 0) {
        throw std::runtime_error("the preparing login failed: " + result.describe());
    }
}

void World::start_server(const std::string& script, const std::vector<std::string>& arguments) {
    std::vector<std::string> all = {"--log", server_log().string()};
    all.insert(all.end(), arguments.begin(), arguments.end());
    // A bare environment: no preloaded wrappers, no faked clock.
    m_server = std::make_unique<test::ServerProcess>(
        "/usr/bin/python3", std::filesystem::path(OTPGATE_HOSTILE_SOURCE_DIR) / script, all);
}

unsigned World::server_port() const {
    return m_server ? m_server->port() : 0;
}

std::vector<std::string> World::secrets() const {
    std::vector<std::string> out;
    for (const auto& [user, known] : m_known) {
        if (!known.secret_base32.empty()) {
            out.push_back(known.secret_base32);
            out.push_back(known.secret_hex);
        }
        for (const auto& code : known.backup_codes) {
            out.push_back(code);
        }
    }
    return out;
}

}  // namespace otpgate::hostile_tests
