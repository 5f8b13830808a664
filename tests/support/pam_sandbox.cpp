#include "pam_sandbox.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <system_error>

#include "otpgate/core/config/config.hpp"
#include "otpgate/core/enrollment/backup_codes.hpp"
#include "otpgate/core/primitives/base32.hpp"
#include "otpgate/core/primitives/hex.hpp"
#include "otpgate/core/primitives/random.hpp"
#include "otpgate/core/storage/open_storage.hpp"
#include "otpgate/core/system/user_account.hpp"

namespace otpgate::pam_tests {
namespace {

constexpr uid_t first_uid = 2001;
const std::vector<std::string> user_names = {"alice", "bob",   "carol", "dave",
                                             "erin",  "frank", "grace", "heidi"};

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

void check(int rc, const std::string& what) {
    if (rc != 0) {
        fail(what);
    }
}

// Runs a program with a bare environment (none of our preloaded wrappers)
// and returns what it printed; throws unless it exits with status 0.
std::string run_program(const std::vector<std::string>& argv) {
    int out[2];
    check(pipe2(out, O_CLOEXEC), "pipe");
    std::vector<char*> args;
    for (const auto& arg : argv) {
        args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    char path_env[] = "PATH=/usr/bin:/bin";
    char locale_env[] = "LC_ALL=C";
    char* env[] = {path_env, locale_env, nullptr};
    const pid_t pid = fork();
    if (pid < 0) {
        fail("fork");
    }
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        execve(args[0], args.data(), env);
        _exit(127);
    }
    close(out[1]);
    std::string text;
    char buffer[256];
    ssize_t got = 0;
    while ((got = read(out[0], buffer, sizeof buffer)) != 0) {
        if (got < 0 && errno != EINTR) {
            break;
        }
        if (got > 0) {
            text.append(buffer, static_cast<std::size_t>(got));
        }
    }
    close(out[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw std::runtime_error(argv[0] + " failed with status " + std::to_string(status));
    }
    return text;
}

std::string hash_name(core::HashAlgorithm algorithm) {
    switch (algorithm) {
        case core::HashAlgorithm::sha1: return "sha1";
        case core::HashAlgorithm::sha256: return "sha256";
        case core::HashAlgorithm::sha512: return "sha512";
    }
    return "sha1";
}

core::UserAccount account_of(std::string_view name) {
    auto account = core::lookup_user(name);  // through nss_wrapper
    if (!account) {
        throw std::runtime_error(account.error().message);
    }
    return *account;
}

}  // namespace

TestStore test_store_from_environment() {
    const char* value = std::getenv("OTPGATE_TEST_STORE");
    if (value == nullptr || std::string_view(value) == "files") {
        return TestStore::files;
    }
    if (std::string_view(value) == "local") {
        return TestStore::local;
    }
    throw std::invalid_argument("OTPGATE_TEST_STORE must be files or local, not '" +
                                std::string(value) + "'");
}

std::filesystem::path test_config_path() {
    return OTPGATE_TEST_CONFIG;
}

void write_file(const std::filesystem::path& path, std::string_view content, mode_t mode) {
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        fail("open " + path.string());
    }
    bool ok = fchmod(fd, mode) == 0;
    std::string_view rest = content;
    while (ok && !rest.empty()) {
        const ssize_t written = ::write(fd, rest.data(), rest.size());
        ok = written > 0;
        if (ok) {
            rest.remove_prefix(static_cast<std::size_t>(written));
        }
    }
    ok = ::close(fd) == 0 && ok;
    if (!ok) {
        fail("write " + path.string());
    }
}

std::string read_file(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fail("open " + path.string());
    }
    std::string text;
    char buffer[4096];
    ssize_t got = 0;
    while ((got = ::read(fd, buffer, sizeof buffer)) > 0) {
        text.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(fd);
    return text;
}

void change_owner(const std::filesystem::path& path, uid_t uid, gid_t gid) {
    check(lchown(path.c_str(), uid, gid), "chown " + path.string());
}

bool pam_wrapper_active() {
    void* symbol = dlsym(RTLD_DEFAULT, "pam_wrapper_enabled");
    if (symbol == nullptr) {
        return false;
    }
    bool (*enabled)() = nullptr;
    std::memcpy(&enabled, &symbol, sizeof enabled);
    return enabled();
}

bool nss_wrapper_active() {
    void* symbol = dlsym(RTLD_DEFAULT, "nss_wrapper_enabled");
    if (symbol == nullptr) {
        return false;
    }
    bool (*enabled)() = nullptr;
    std::memcpy(&enabled, &symbol, sizeof enabled);
    return enabled();
}

Sandbox::Sandbox()
    : m_store(test_store_from_environment()),
      m_storage_log(std::make_unique<core::StderrLogger>("sandbox storage: ")) {
    char name[] = "/tmp/otpgate-pam.XXXXXX";
    if (mkdtemp(name) == nullptr) {
        fail("mkdtemp");
    }
    m_root = name;
    // The users' file-system identity must be able to reach their homes.
    check(chmod(m_root.c_str(), 0755), "chmod sandbox");
    std::filesystem::create_directory(m_root / "home");
    check(chmod((m_root / "home").c_str(), 0755), "chmod home");

    std::string passwd = "root:x:0:0:root:/root:/bin/sh\n";
    std::string group = "root:x:0:\n";
    for (std::size_t i = 0; i < user_names.size(); ++i) {
        TestUser user;
        user.name = user_names[i];
        user.uid = first_uid + static_cast<uid_t>(i);
        user.gid = user.uid;
        user.home = m_root / "home" / user.name;
        std::filesystem::create_directory(user.home);
        change_owner(user.home, user.uid, user.gid);
        check(chmod(user.home.c_str(), 0700), "chmod " + user.home.string());
        passwd += user.name + ":x:" + std::to_string(user.uid) + ":" + std::to_string(user.gid) +
                  ":" + user.name + ":" + user.home.string() + ":/bin/sh\n";
        group += user.name + ":x:" + std::to_string(user.gid) + ":\n";
        m_users.push_back(std::move(user));
    }
    write_file(m_root / "passwd", passwd, 0644);
    write_file(m_root / "group", group, 0644);
    set_time(base_time);
    // Read lazily by the wrappers, at the first lookup and at every clock
    // read, so setting them here (before any lookup) is early enough.
    setenv("NSS_WRAPPER_PASSWD", (m_root / "passwd").c_str(), 1);
    setenv("NSS_WRAPPER_GROUP", (m_root / "group").c_str(), 1);
    setenv("FAKETIME_TIMESTAMP_FILE", (m_root / "clock").c_str(), 1);
}

Sandbox::~Sandbox() {
    if (std::getenv("OTPGATE_PAM_TEST_KEEP") != nullptr) {
        std::fprintf(stderr, "keeping %s\n", m_root.c_str());
        return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(m_root, ignored);
}

const TestUser& Sandbox::user(std::string_view name) const {
    for (const auto& user : m_users) {
        if (user.name == name) {
            return user;
        }
    }
    throw std::invalid_argument("no test user " + std::string(name));
}

std::filesystem::path Sandbox::enrollment_file(std::string_view name) const {
    return user(name).home / ".otpgate";
}

std::filesystem::path Sandbox::enrollment_location(std::string_view name) const {
    const auto location = storage()->enrollment_location(account_of(name));
    if (!location) {
        throw std::runtime_error("the store names no place for " + std::string(name));
    }
    return *location;
}

uid_t Sandbox::enrollment_owner(std::string_view name) const {
    return local_store() ? 0 : user(name).uid;
}

void Sandbox::set_time(std::int64_t unix_time) {
    const auto seconds = static_cast<std::time_t>(unix_time);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char text[64];
    const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S\n", &parts);
    // Renamed into place: a process reading the clock never sees half a file.
    write_file(m_root / "clock.new", std::string_view(text, length), 0644);
    std::filesystem::rename(m_root / "clock.new", m_root / "clock");
    m_time = unix_time;
}

void Sandbox::write_config(std::string_view extra) const {
    std::filesystem::create_directories(test_config_path().parent_path());
    std::string text = "# written by otpgate_pam_tests for " + m_root.string() + "\n";
    text += "state_dir = " + state_dir().string() + "\n";
    text += "debug = yes\n";
    text += "backup_code_iterations = " + std::to_string(sandbox_backup_iterations) + "\n";
    text += std::string("store = ") + (local_store() ? "local" : "files") + "\n";
    text += extra;
    text += "\n";
    const auto temporary = test_config_path().string() + ".new";
    write_file(temporary, text, 0600);
    std::filesystem::rename(temporary, test_config_path());
}

std::unique_ptr<core::Storage> Sandbox::storage() const {
    // The lines write_config() always writes, whatever else a test put in
    // the file (a broken config, an enrollment_path it moves files to).
    core::Config config;
    config.state_dir = state_dir();
    config.store = local_store() ? core::StoreKind::local : core::StoreKind::files;
    auto opened = core::open_storage(config, *m_storage_log);
    if (!opened) {
        throw std::runtime_error("cannot open the store: " + opened.error().message);
    }
    return std::move(opened.value());
}

void Sandbox::save_enrollment(std::string_view name, const core::Enrollment& enrollment) const {
    if (auto saved = storage()->save_enrollment(account_of(name), enrollment); !saved) {
        throw std::runtime_error("cannot enroll " + std::string(name) + ": " +
                                 saved.error().message);
    }
}

void Sandbox::plant_enrollment(std::string_view name, std::string_view text, mode_t mode) const {
    const TestUser& owner = user(name);
    const auto path = enrollment_location(name);
    std::string content(text);
    if (local_store()) {
        // The state directory and its .enrollments/ folder, as the store makes them.
        for (const auto& directory : {state_dir(), path.parent_path()}) {
            std::filesystem::create_directories(directory);
            check(chmod(directory.c_str(), 0700), "chmod " + directory.string());
        }
        content = "otpgate-local-enrollment uid=" + std::to_string(owner.uid) + "\n" + content;
    }
    std::filesystem::remove(path);
    write_file(path, content, mode);
    change_owner(path, enrollment_owner(name), local_store() ? 0 : owner.gid);
}

KnownEnrollment Sandbox::enroll(std::string_view name, core::TotpParameters params,
                                unsigned backup_codes) const {
    static_cast<void>(user(name));
    core::OpenSslRandom random;
    KnownEnrollment known;
    known.user = std::string(name);
    core::Enrollment& enrollment = known.enrollment;
    enrollment.id = core::random_hex(random, 16);
    enrollment.created = m_time;
    enrollment.totp = params;
    enrollment.totp_secret = core::random_bytes(random, 20);
    auto codes = core::make_backup_codes(random, backup_codes, 10, sandbox_backup_iterations);
    enrollment.backup = codes.stored;
    for (const auto& code : codes.codes) {
        known.backup_codes.emplace_back(code.view());
    }
    known.secret_base32 = std::string(core::base32_encode(enrollment.totp_secret).view());
    known.secret_hex =
        core::hex_encode(enrollment.totp_secret.data(), enrollment.totp_secret.size());

    save_enrollment(name, enrollment);
    return known;
}

std::string oath_totp(const KnownEnrollment& enrollment, std::int64_t unix_time) {
    const auto& params = enrollment.enrollment.totp;
    std::string code =
        run_program({OTPGATE_TEST_OATHTOOL, "--totp=" + hash_name(params.algorithm), "--base32",
                     "--digits=" + std::to_string(params.digits),
                     "--time-step-size=" + std::to_string(params.period) + "s",
                     "--now=@" + std::to_string(unix_time), enrollment.secret_base32});
    while (!code.empty() && (code.back() == '\n' || code.back() == '\r')) {
        code.pop_back();
    }
    if (code.size() != params.digits) {
        throw std::runtime_error("oathtool printed '" + code + "'");
    }
    return code;
}

}  // namespace otpgate::pam_tests
