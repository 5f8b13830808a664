#include "bench_world.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "totp_code.hpp"

namespace otpgate::bench {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

void check(int rc, const std::string& what) {
    if (rc != 0) {
        fail(what);
    }
}

std::string slurp(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_file(const fs::path& path, const std::string& content, mode_t mode, uid_t owner = 0,
                gid_t group = 0) {
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        fail("open " + path.string());
    }
    bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
    ok = fchmod(fd, mode) == 0 && ok;
    ok = fchown(fd, owner, group) == 0 && ok;
    ok = ::close(fd) == 0 && ok;
    if (!ok) {
        fail("write " + path.string());
    }
}

void make_dir(const fs::path& path, mode_t mode, uid_t owner = 0, gid_t group = 0) {
    if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
        fail("mkdir " + path.string());
    }
    check(::chmod(path.c_str(), mode), "chmod " + path.string());
    check(::chown(path.c_str(), owner, group), "chown " + path.string());
}

BenchUser make_user(const fs::path& root, std::string name, uid_t uid) {
    BenchUser user;
    user.home = root / "home" / name;
    user.name = std::move(name);
    user.uid = uid;
    user.secret.resize(20);
    if (RAND_bytes(user.secret.data(), static_cast<int>(user.secret.size())) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    return user;
}

void run_enroll_tool(const std::string& tool, const fs::path& state_dir,
                     const fs::path& local_state_dir, const std::string& lines) {
    const std::string command =
        "'" + tool + "' '" + state_dir.string() + "' '" + local_state_dir.string() + "'";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "w"), pclose);
    if (!pipe) {
        fail("popen " + tool);
    }
    std::fwrite(lines.data(), 1, lines.size(), pipe.get());
    const int status = pclose(pipe.release());
    if (status != 0) {
        throw std::runtime_error(tool + " failed (status " + std::to_string(status) + ")");
    }
}

}  // namespace

World::World(fs::path root, std::string prefix, uid_t first_uid, std::size_t users,
             std::size_t sms_users)
    : m_root(std::move(root)) {
    char number[24];
    for (std::size_t i = 0; i < users; ++i) {
        std::snprintf(number, sizeof number, "%04zu", i);
        m_users.push_back(make_user(m_root, prefix + number, first_uid + static_cast<uid_t>(i)));
    }
    for (std::size_t i = 0; i < sms_users; ++i) {
        m_sms_users.push_back(make_user(m_root, prefix + "sms" + std::to_string(i),
                                        first_uid + static_cast<uid_t>(users + i)));
    }
}

void World::age_replay_fence() const {
    // In place and in this process (a helper process would evict the
    // caches the timed login then runs on), in pam_otpgate's format
    // (common/src/state/replay_fence.cpp): two 128-byte slots of magic, sequence,
    // newest step start, refused-through, boot id, then SHA-256 of the first
    // 96 bytes. A mismatch shows as a refused login, which the harness fails on.
    constexpr std::size_t slot_size = 128;
    constexpr std::size_t covered = 96;
    const fs::path path = m_root / "state" / ".replay-fence";
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        fail("open " + path.string());
    }
    std::array<std::uint8_t, 2 * slot_size> bytes{};
    const bool read_all =
        ::pread(fd, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size());
    const auto field = [&](std::size_t slot, std::size_t offset) {
        std::uint64_t value = 0;
        std::memcpy(&value, bytes.data() + slot * slot_size + offset, sizeof value);
        return value;  // little-endian, as on this machine
    };
    const auto valid = [&](std::size_t slot) {
        std::array<std::uint8_t, SHA256_DIGEST_LENGTH> sum{};
        SHA256(bytes.data() + slot * slot_size, covered, sum.data());
        return std::memcmp(bytes.data() + slot * slot_size, "OTPGRF01", 8) == 0 &&
               std::memcmp(sum.data(), bytes.data() + slot * slot_size + covered, sum.size()) == 0;
    };
    std::size_t live = 2;
    for (std::size_t slot = 0; slot < 2 && read_all; ++slot) {
        if (valid(slot) && (live == 2 || field(slot, 8) > field(live, 8))) {
            live = slot;
        }
    }
    if (live == 2) {
        ::close(fd);
        throw std::runtime_error(path.string() + ": no valid record to age");
    }
    const std::size_t target = 1 - live;
    std::uint8_t* out = bytes.data() + target * slot_size;
    std::memcpy(out, bytes.data() + live * slot_size, slot_size);
    const std::uint64_t sequence = field(live, 8) + 1;
    const std::uint64_t newest = field(live, 16) - 3600;
    std::memcpy(out + 8, &sequence, sizeof sequence);
    std::memcpy(out + 16, &newest, sizeof newest);
    SHA256(out, covered, out + covered);
    const bool written = ::pwrite(fd, out, slot_size, static_cast<off_t>(target * slot_size)) ==
                         static_cast<ssize_t>(slot_size);
    ::close(fd);
    if (!written) {
        fail("write " + path.string());
    }
}

std::string World::passwd_lines() const {
    std::string text;
    for (const auto* list : {&m_users, &m_sms_users}) {
        for (const auto& user : *list) {
            text += user.name + ":x:" + std::to_string(user.uid) + ":" +
                    std::to_string(bench_group_id) + "::" + user.home.string() + ":/bin/sh\n";
        }
    }
    return text;
}

std::string World::group_lines() const {
    return "otpbench:x:" + std::to_string(bench_group_id) + ":\n";
}

void World::create(const ModulePaths& modules, const std::string& enroll_tool, int sms_port,
                   unsigned sms_timeout_ms) const {
    make_dir(m_root, 0755);
    make_dir(m_root / "home", 0755);
    make_dir(m_root / "state", 0700);
    make_dir(m_root / "state-local", 0700);
    make_dir(m_root / "oath", 0700);
    make_dir(m_root / "pam.d", 0755);

    const fs::path config = m_root / "otpgate.conf";
    // Defaults otherwise (lockout on, window 1): what an installation runs.
    // The backup codes' count is that of enroll_users (never typed here).
    write_file(config,
               "state_dir = " + (m_root / "state").string() + "\nbackup_code_iterations = 1000\n",
               0600);
    // store = local: the same users, their enrollments held by root, with
    // a state directory of its own (its logins spend their own steps).
    const fs::path local_config = m_root / "otpgate-local.conf";
    write_file(local_config,
               "store = local\nstate_dir = " + (m_root / "state-local").string() +
                   "\nbackup_code_iterations = 1000\n",
               0600);
    const fs::path sms_config = m_root / "otpgate-sms.conf";
    write_file(sms_config,
               "state_dir = " + (m_root / "state").string() +
                   "\nbackup_code_iterations = 1000\nsms_backend = generic"
                   "\nhttp_url = http://127.0.0.1:" +
                   std::to_string(sms_port) +
                   "/v1/send\nsms_allowed_countries = 44\nsend_cooldown = 0\n"
                   "delivery_timeout_ms = " +
                   std::to_string(sms_timeout_ms) +
                   "\ndelivery_connect_timeout_ms = " + std::to_string(sms_timeout_ms) + "\n",
               0600);

    // One attempt per pam_authenticate, as the other two modules do; no
    // delay after a failure (the harness also neutralises PAM_FAIL_DELAY).
    const std::string ours = modules.otpgate + " fail_delay_ms=0 max_attempts=1 config=";
    const fs::path services = m_root / "pam.d";
    write_file(services / "otpgate", "auth required " + ours + config.string() + "\n", 0644);
    // For long mixed runs (memory, valgrind): every code is checked, none
    // is refused unread because the user got locked out.
    write_file(services / "otpgate-nolock",
               "auth required " + ours + config.string() + " lockout_failures=0\n", 0644);
    write_file(services / "otpgate-local", "auth required " + ours + local_config.string() + "\n",
               0644);
    write_file(services / "otpgate-sms", "auth required " + ours + sms_config.string() + "\n",
               0644);
    if (!modules.google.empty()) {
        write_file(services / "google", "auth required " + modules.google + "\n", 0644);
    }
    if (!modules.oath.empty()) {
        // window=1: the step before and after, like the two others.
        write_file(services / "oath",
                   "auth required " + modules.oath + " usersfile=" + (m_root / "oath").string() +
                       "/${USER} window=1 digits=6\n",
                   0644);
    }
    // libpam alone: what every column pays before any module works.
    write_file(services / "permit", "auth required pam_permit.so\n", 0644);
    write_file(services / "other", "auth required pam_deny.so\n", 0644);

    std::string lines;
    for (const auto& user : m_users) {
        make_dir(user.home, 0700, user.uid, bench_group_id);
        const std::string base32 = to_base32(user.secret);
        // google-authenticator's own file: replay protection on, ±1 step.
        write_file(user.home / ".google_authenticator",
                   base32 + "\n\" WINDOW_SIZE 3\n\" DISALLOW_REUSE\n\" TOTP_AUTH\n", 0400, user.uid,
                   bench_group_id);
        write_file(m_root / "oath" / user.name,
                   "HOTP/T30/6\t" + user.name + "\t-\t" + to_hex(user.secret) + "\n", 0600);
        lines += user.name + " totp " + to_hex(user.secret) + "\n";
    }
    for (const auto& user : m_sms_users) {
        make_dir(user.home, 0700, user.uid, bench_group_id);
        lines += user.name + " sms +447700900123\n";
    }
    run_enroll_tool(enroll_tool, m_root / "state", m_root / "state-local", lines);
}

pid_t enter_private_namespace(const fs::path& scratch, const std::vector<const World*>& worlds,
                              const fs::path& syslog_copy) {
    check(unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS) (run as root)");
    check(mount("none", "/", "none", MS_REC | MS_PRIVATE, nullptr), "mount --make-rprivate /");

    const fs::path ns = scratch / "ns";
    make_dir(ns, 0755);
    std::string passwd = slurp("/etc/passwd");
    std::string group = slurp("/etc/group");
    for (const auto* world : worlds) {
        passwd += world->passwd_lines();
        group += world->group_lines();
    }
    // An overlay on /etc, not a bind mount on /etc/passwd: useradd on the
    // host renames a new passwd into place, which would hide a mount on
    // the old file's name in this namespace too.
    make_dir(ns / "etc-upper", 0755);
    make_dir(ns / "etc-work", 0755);
    const std::string etc_layers = "lowerdir=/etc,upperdir=" + (ns / "etc-upper").string() +
                                   ",workdir=" + (ns / "etc-work").string();
    check(mount("overlay", "/etc", "overlay", 0, etc_layers.c_str()), "overlay on /etc");
    write_file("/etc/passwd", passwd, 0644);
    write_file("/etc/group", group, 0644);

    make_dir(ns / "dev-upper", 0755);
    make_dir(ns / "dev-work", 0755);
    const std::string layers = "lowerdir=/dev,upperdir=" + (ns / "dev-upper").string() +
                               ",workdir=" + (ns / "dev-work").string();
    check(mount("overlay", "/dev", "overlay", 0, layers.c_str()), "overlay on /dev");

    ::unlink("/dev/log");
    const int sink = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sink < 0) {
        fail("socket");
    }
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, "/dev/log", sizeof address.sun_path - 1);
    check(bind(sink, reinterpret_cast<const sockaddr*>(&address), sizeof address), "bind /dev/log");
    check(chmod("/dev/log", 0666), "chmod /dev/log");
    const pid_t drain = fork();
    if (drain < 0) {
        fail("fork");
    }
    if (drain == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        const int copy =
            ::open(syslog_copy.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        char message[4096];
        for (;;) {
            const ssize_t got = recv(sink, message, sizeof message - 1, 0);
            if (got > 0 && copy >= 0) {
                message[got] = '\n';
                static_cast<void>(::write(copy, message, static_cast<std::size_t>(got) + 1));
            }
        }
    }
    ::close(sink);
    return drain;
}

void unmount(const fs::path& where) {
    check(umount2(where.c_str(), MNT_DETACH), "umount " + where.string());
}

void mount_tmpfs(const fs::path& where) {
    make_dir(where, 0755);
    check(mount("tmpfs", where.c_str(), "tmpfs", 0, "mode=0755,size=512m"), "mount tmpfs");
}

int start_hanging_gateway(pid_t& child) {
    const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0) {
        fail("socket");
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check(bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address), "bind");
    check(listen(listener, 64), "listen");
    socklen_t size = sizeof address;
    check(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size), "getsockname");
    child = fork();
    if (child < 0) {
        fail("fork");
    }
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        // Accepts, reads nothing, answers nothing; connections stay open.
        for (;;) {
            static_cast<void>(accept(listener, nullptr, nullptr));
        }
    }
    ::close(listener);
    return ntohs(address.sin_port);
}

void stop_child(pid_t child) {
    if (child > 0) {
        kill(child, SIGKILL);
        int status = 0;
        waitpid(child, &status, 0);
    }
}

Cleanup::~Cleanup() {
    stop_child(gateway);
    stop_child(drain);
    try {
        if (!tmpfs.empty()) {
            unmount(tmpfs);
        }
        if (!scratch.empty() && std::getenv("OTPGATE_BENCH_KEEP") == nullptr) {
            std::filesystem::remove_all(scratch);
        }
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench: cleanup: %s\n", error.what());
    }
}

}  // namespace otpgate::bench
