#include "otpgate/core/state/remembered_host.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

#include "otpgate/core/primitives/digest.hpp"
#include "otpgate/core/primitives/ip_network.hpp"
#include "otpgate/core/primitives/text.hpp"
#include "otpgate/core/system/descriptor_io.hpp"
#include "otpgate/core/system/safe_file.hpp"

namespace otpgate::core {
namespace {

Error key_error(ErrorKind kind, const std::filesystem::path& path, const std::string& what) {
    return make_error(kind, "host key " + path.string() + ": " + what);
}

// Written under a temporary name and linked into place, so that a racing
// login sees the whole key or none; if another login linked first, its key
// is the one used.
Result<void> create_host_key(int dir_fd, const std::filesystem::path& path, RandomSource& random) {
    NewFile file;
    file.directory_fd = dir_fd;
    file.name = std::string(host_key_file_name);
    file.temporary_name = file.name + ".new-" + random_hex(random, 8);
    file.kind = "host key";
    file.path = path;
    const SecretBytes key = random_bytes(random, host_key_size);
    auto created = create_file_by_link(
        file, std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
    if (!created) {
        return created.error();
    }
    return {};
}

}  // namespace

Result<SecretBytes> load_host_key(const std::filesystem::path& state_dir, RandomSource& random) {
    auto dir = open_state_directory(state_dir);
    if (!dir) {
        return dir.error();
    }
    const std::filesystem::path path = state_dir / host_key_file_name;
    const std::string name(host_key_file_name);
    constexpr int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
    UniqueFd fd(::openat(dir->get(), name.c_str(), flags));
    if (!fd.valid() && errno == ENOENT) {
        if (auto created = create_host_key(dir->get(), path, random); !created) {
            return created.error();
        }
        fd.reset(::openat(dir->get(), name.c_str(), flags));
    }
    if (!fd.valid()) {
        return key_error(errno == ELOOP ? ErrorKind::unsafe : ErrorKind::unavailable, path,
                         "cannot open: " + errno_text(errno));
    }
    struct stat info {};
    if (fstat(fd.get(), &info) != 0 || !is_private_record(info)) {
        return key_error(ErrorKind::unsafe, path, private_record_rule());
    }
    SecretBytes key(host_key_size + 1);
    const ssize_t got = ::pread(fd.get(), key.data(), key.size(), 0);
    if (got != static_cast<ssize_t>(host_key_size)) {
        return key_error(ErrorKind::corrupt, path,
                         "expected " + std::to_string(host_key_size) + " bytes");
    }
    key.resize(host_key_size);
    return key;
}

std::string canonical_remote_host(std::string_view remote_host) {
    if (const auto address = parse_ip_address(remote_host)) {
        return to_string(*address);
    }
    std::string name = ascii_lowercase(remote_host);
    while (!name.empty() && name.back() == '.') {
        name.pop_back();  // "host.example." and "host.example" are one host
    }
    return name;
}

HostTag host_tag(const SecretBytes& key, std::string_view user_name, std::string_view enrollment_id,
                 std::string_view remote_host) {
    // Domain-separated, and no field can run into the next.
    std::string message = "otpgate remembered host\n";
    message += user_name;
    message.push_back('\0');
    message += enrollment_id;
    message.push_back('\0');
    message += canonical_remote_host(remote_host);
    std::array<std::uint8_t, Hmac::max_size> mac{};
    Hmac hmac(HashAlgorithm::sha256, key);
    hmac.compute({reinterpret_cast<const std::uint8_t*>(message.data()), message.size()},
                 mac.data());
    if (hmac.size() < host_tag_size) {
        throw std::runtime_error("HMAC computation failed");
    }
    HostTag tag{};
    std::copy_n(mac.begin(), host_tag_size, tag.begin());
    return tag;
}

bool host_remembered(const UserState& state, const HostTag& tag, std::int64_t now,
                     unsigned period) {
    if (period == 0) {
        return false;
    }
    for (const auto& host : state.remembered_hosts) {
        // A time ahead of the clock (the clock went back) is not trusted.
        if (host.tag == tag && host.at <= now &&
            now - host.at < static_cast<std::int64_t>(period)) {
            return true;
        }
    }
    return false;
}

void remember_host(UserState& state, const HostTag& tag, std::int64_t now) {
    auto& hosts = state.remembered_hosts;
    hosts.erase(std::remove_if(hosts.begin(), hosts.end(),
                               [&tag](const RememberedHost& host) { return host.tag == tag; }),
                hosts.end());
    hosts.push_back(RememberedHost{tag, now});
    if (hosts.size() > max_remembered_hosts) {
        hosts.erase(hosts.begin(), hosts.end() - static_cast<std::ptrdiff_t>(max_remembered_hosts));
    }
}

}  // namespace otpgate::core
