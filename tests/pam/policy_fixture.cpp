#include "policy_fixture.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <stdexcept>

namespace otpgate::pam_tests {
namespace {

// nss_wrapper reloads a file only when its modification time changed: each
// rewrite gets a new one, even within the same second.
void write_nss_file(const std::filesystem::path& path, std::string_view content) {
    static long generation = 0;
    write_file(path, content, 0644);
    const timespec times[2] = {{0, UTIME_OMIT}, {1'000'000'000 + ++generation, 0}};
    if (utimensat(AT_FDCWD, path.c_str(), times, 0) != 0) {
        throw std::runtime_error("utimensat " + path.string());
    }
}

// `openssl passwd -6 -salt otpgatepolicy 'correct horse battery'`
constexpr std::string_view password_hash =
    "$6$otpgatepolicy$hyBIsMDqABamIRqKM1ZLXh/c4JSBHgIZBw3EmpfzaLR4eMx//"
    "kvUgcti1VQO99KtDS2D9gpUb8be7yUd5mKwQ.";

}  // namespace

void PolicyTest::SetUp() {
    PamTest::SetUp();
    if (HasFatalFailure()) {
        return;
    }
    write_passwd();
}

void PolicyTest::write_passwd() {
    // The hash in the passwd field itself: pam_unix, running as root, then
    // checks it without a shadow file or its set-uid helper.
    std::string passwd = "root:x:0:0:root:/root:/bin/sh\n";
    for (const TestUser& user : sandbox().users()) {
        unsigned gid = user.gid;
        for (const auto& [name, primary] : m_primary_groups) {
            if (name == user.name) {
                gid = primary;
            }
        }
        passwd += user.name + ":" + std::string(password_hash) + ":" + std::to_string(user.uid) +
                  ":" + std::to_string(gid) + ":" + user.name + ":" + user.home.string() +
                  ":/bin/sh\n";
    }
    write_nss_file(sandbox().root() / "passwd", passwd);
}

void PolicyTest::write_groups(const std::vector<std::string>& extra_lines) {
    std::string group = "root:x:0:\n";
    for (const TestUser& user : sandbox().users()) {
        group += user.name + ":x:" + std::to_string(user.gid) + ":\n";
    }
    for (const auto& line : extra_lines) {
        group += line + "\n";
    }
    write_nss_file(sandbox().root() / "group", group);
}

void PolicyTest::set_primary_group(std::string_view user, unsigned gid) {
    m_primary_groups.emplace_back(std::string(user), gid);
    write_passwd();
}

LoginResult PolicyTest::login_from(const std::string& user, std::vector<std::string> answers,
                                   const std::string& rhost, const std::string& service) {
    LoginRequest request;
    request.service = service;
    request.user = user;
    request.answers = std::move(answers);
    request.rhost = rhost;
    return login(request);
}

}  // namespace otpgate::pam_tests
