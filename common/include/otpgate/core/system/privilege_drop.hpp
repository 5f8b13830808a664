// Acts with a user's file-system rights while reading or writing files in
// places that user controls, so that a symlink or hard link they plant can
// only ever point at files they could touch themselves (CVE-2024-47191).
#pragma once

#include <sys/types.h>
#include <vector>

#include "otpgate/core/system/user_account.hpp"

namespace otpgate::core {

// Which of the user's groups the identity carries besides the primary one.
// `primary_only` is never more than the user may do, and skips the group
// database (getgrouplist reads all of /etc/group and asks systemd-userdb):
// callers use it first and retry with `all` when access is refused.
enum class GroupScope { all, primary_only };

// While alive, the thread's file-system uid and gid and the process's
// supplementary groups are the user's. Does nothing unless the process runs
// as root and the user is not root. Throws std::runtime_error when the
// switch cannot be made: continuing with the wrong identity is never safe.
// Undoing it (in the destructor) reports nothing: as root it cannot fail
// for ids held a moment before, and if it did, the thread would keep the
// user's identity, which can do less than root's, so what follows fails
// closed rather than open.
class FileSystemIdentity {
public:
    explicit FileSystemIdentity(const UserAccount& account, GroupScope scope = GroupScope::all);
    ~FileSystemIdentity();
    FileSystemIdentity(const FileSystemIdentity&) = delete;
    FileSystemIdentity& operator=(const FileSystemIdentity&) = delete;

private:
    void restore() noexcept;

    bool m_switched = false;
    uid_t m_saved_fsuid = 0;
    gid_t m_saved_fsgid = 0;
    std::vector<gid_t> m_saved_groups;
};

}  // namespace otpgate::core
