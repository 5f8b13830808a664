#include "otpgate/core/system/user_account.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include <cerrno>

#include "otpgate/core/system/descriptor_io.hpp"

namespace otpgate::core {
namespace {

template <typename Lookup>
Result<UserAccount> lookup_with(Lookup&& lookup, const std::string& what) {
    long suggested = sysconf(_SC_GETPW_R_SIZE_MAX);
    std::size_t size = suggested > 0 ? static_cast<std::size_t>(suggested) : 4096;
    while (true) {
        std::vector<char> buffer(size);
        passwd entry{};
        passwd* found = nullptr;
        const int rc = lookup(&entry, buffer.data(), buffer.size(), &found);
        if (rc == ERANGE && size < 1024 * 1024) {
            size *= 2;
            continue;
        }
        // getpwnam_r(3) allows "not found" as ENOENT or ESRCH too, not only
        // as 0 with no entry; nss_wrapper, for one, answers ENOENT.
        if (rc == ENOENT || rc == ESRCH) {
            found = nullptr;
        } else if (rc != 0) {
            return make_error(ErrorKind::unavailable,
                              "cannot look up user " + what + ": " + errno_text(rc));
        }
        if (found == nullptr) {
            return make_error(ErrorKind::not_found, "no such user " + what);
        }
        UserAccount account;
        account.name = entry.pw_name;
        account.uid = entry.pw_uid;
        account.gid = entry.pw_gid;
        account.home = entry.pw_dir != nullptr ? entry.pw_dir : "";
        return account;
    }
}

}  // namespace

Result<void> validate_user_name(std::string_view name) {
    if (name.empty()) {
        return make_error(ErrorKind::invalid_input, "empty user name");
    }
    if (name.size() > 64) {
        return make_error(ErrorKind::invalid_input, "user name longer than 64 bytes");
    }
    if (name.front() == '.' || name.front() == '-') {
        return make_error(ErrorKind::invalid_input, "user name starts with '.' or '-'");
    }
    for (const char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '/' || c == ' ' || c == ':' || c == '\\' || u < 0x20 || u == 0x7f) {
            return make_error(ErrorKind::invalid_input,
                              "user name contains a character not allowed in file names");
        }
    }
    return {};
}

Result<UserAccount> lookup_user(std::string_view name) {
    if (auto valid = validate_user_name(name); !valid) {
        return valid.error();
    }
    const std::string name_copy(name);
    return lookup_with(
        [&](passwd* entry, char* buffer, std::size_t size, passwd** found) {
            return getpwnam_r(name_copy.c_str(), entry, buffer, size, found);
        },
        "'" + name_copy + "'");
}

Result<UserAccount> lookup_user(uid_t uid) {
    return lookup_with([&](passwd* entry, char* buffer, std::size_t size,
                           passwd** found) { return getpwuid_r(uid, entry, buffer, size, found); },
                       "with uid " + std::to_string(uid));
}

std::vector<gid_t> group_ids_of(const UserAccount& account) {
    int count = 32;
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    while (getgrouplist(account.name.c_str(), account.gid, groups.data(), &count) < 0) {
        if (count <= static_cast<int>(groups.size())) {
            count = static_cast<int>(groups.size()) * 2;  // some NSS modules report no size
        }
        if (count > 65536) {
            break;
        }
        groups.resize(static_cast<std::size_t>(count));
    }
    groups.resize(static_cast<std::size_t>(std::max(count, 0)));
    if (groups.empty()) {
        groups.push_back(account.gid);
    }
    return groups;
}

std::vector<UserAccount> enumerate_accounts() {
    std::vector<UserAccount> accounts;
    setpwent();
    while (const passwd* entry = getpwent()) {
        if (entry->pw_name != nullptr && validate_user_name(entry->pw_name)) {
            accounts.push_back(UserAccount{entry->pw_name, entry->pw_uid, entry->pw_gid,
                                           entry->pw_dir != nullptr ? entry->pw_dir : ""});
        }
    }
    endpwent();
    return accounts;
}

}  // namespace otpgate::core
