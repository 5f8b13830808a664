#include "otpgate/core/system/privilege_drop.hpp"

#include <grp.h>
#include <sys/fsuid.h>
#include <unistd.h>
#include <stdexcept>
#include <string>

namespace otpgate::core {
namespace {

// setfsuid/setfsgid report no errors; asking with an invalid id returns the
// current value without changing it, which is how the switch is verified.
uid_t current_fsuid() {
    return static_cast<uid_t>(setfsuid(static_cast<uid_t>(-1)));
}
gid_t current_fsgid() {
    return static_cast<gid_t>(setfsgid(static_cast<gid_t>(-1)));
}

}  // namespace

FileSystemIdentity::FileSystemIdentity(const UserAccount& account, GroupScope scope) {
    if (geteuid() != 0 || account.uid == 0) {
        return;  // nothing to gain: we can only touch what this process may
    }
    const int saved_count = getgroups(0, nullptr);
    if (saved_count < 0) {
        throw std::runtime_error("getgroups failed");
    }
    m_saved_groups.resize(static_cast<std::size_t>(saved_count));
    if (saved_count > 0 && getgroups(saved_count, m_saved_groups.data()) != saved_count) {
        throw std::runtime_error("getgroups failed");
    }
    const std::vector<gid_t> groups =
        scope == GroupScope::all ? group_ids_of(account) : std::vector<gid_t>{account.gid};
    if (setgroups(groups.size(), groups.data()) != 0) {
        throw std::runtime_error("cannot set the groups of user " + account.name);
    }
    // Each call answers with the id it replaces: those are the ids to
    // restore, with no call to ask for them first.
    m_saved_fsgid = static_cast<gid_t>(setfsgid(account.gid));
    m_saved_fsuid = static_cast<uid_t>(setfsuid(account.uid));
    m_switched = true;  // from here on, the destructor restores
    if (current_fsgid() != account.gid || current_fsuid() != account.uid) {
        restore();
        throw std::runtime_error("cannot switch to the file-system identity of user " +
                                 account.name);
    }
}

FileSystemIdentity::~FileSystemIdentity() {
    restore();
}

void FileSystemIdentity::restore() noexcept {
    if (!m_switched) {
        return;
    }
    m_switched = false;
    setfsuid(m_saved_fsuid);
    setfsgid(m_saved_fsgid);
    // As root these calls cannot fail for ids we held a moment ago, and a
    // destructor has no one to tell; setgroups can only fail on ENOMEM.
    static_cast<void>(setgroups(m_saved_groups.size(), m_saved_groups.data()));
}

}  // namespace otpgate::core
