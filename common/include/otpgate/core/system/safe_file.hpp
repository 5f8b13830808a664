// Opening, reading and replacing files without trusting the path.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <sys/types.h>

#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/primitives/secret.hpp"
#include "otpgate/core/system/file_lock.hpp"
#include "otpgate/core/system/unique_fd.hpp"

namespace otpgate::core {

struct FileRules {
    uid_t owner = 0;
    bool also_allow_root_owner = false;
    // Permission bits that must be clear, e.g. 0022 (no group/other write)
    // or 0077 (nothing for group and others).
    mode_t forbidden_mode_bits = 0022;
    std::size_t max_size = 64 * 1024;
};

// Opens without following a symlink in the last component, then checks on
// the open descriptor (no race with the path): regular file, owner, mode.
// not_found when absent; unsafe with the reason otherwise. Opened with
// O_NONBLOCK (a planted FIFO must not hang), which a regular file ignores.
Result<UniqueFd> open_checked(const std::filesystem::path& path, const FileRules& rules);

// Reads the whole file into a wiping buffer, refusing anything past max_size.
Result<SecretString> read_checked(const std::filesystem::path& path, const FileRules& rules);

// Replaces `path` atomically: writes a temporary file in the same directory
// (O_EXCL, O_NOFOLLOW, mode), fsyncs it, renames it over the target and
// fsyncs the directory. Holds an flock on the directory meanwhile so that
// writers are serialized, waiting for it at most `lock_timeout`
// (file_lock.hpp). On any failure the old file is untouched and the
// temporary file is removed.
Result<void> replace_file_atomically(const std::filesystem::path& path, std::string_view content,
                                     mode_t mode,
                                     std::chrono::milliseconds lock_timeout = default_lock_timeout);

// Removes `path` under the same directory lock. not_found if absent.
Result<void> remove_file_locked(const std::filesystem::path& path,
                                std::chrono::milliseconds lock_timeout = default_lock_timeout);

// A file create_file_by_link makes, and how.
struct NewFile {
    int directory_fd = -1;       // the directory it goes in, open
    std::string name;            // its name there
    std::string temporary_name;  // written under this first; unique (a random part)
    mode_t mode = 0600;          // whatever the umask
    // Every message begins with `kind` and `path`: "state file /var/lib/otpgate/alice: ...".
    std::string kind;
    std::filesystem::path path;
    // When set, the file is flocked exclusively (waiting at most this long)
    // before it is linked, and stays locked until its temporary name is
    // gone: a process that opens it by `name` and locks it then sees it
    // with one link.
    std::optional<std::chrono::milliseconds> lock_timeout;
};

enum class Creation { created, existed };

// Creates `file.name` holding `content`, whole or not at all: written under
// the temporary name (O_EXCL, O_NOFOLLOW, O_CLOEXEC), given its mode, synced,
// linked to its name without replacing anything there, its temporary name
// removed, and the directory synced. When something already has the name
// (another process linked first) it is kept as it is: `existed`. Every
// failure is an io error (or the lock's own) and removes the temporary name;
// only a failed directory sync comes after the link, so that the file may
// then exist and yet not survive a crash. A temporary name that cannot be
// removed after the link stays as a second name of the file.
Result<Creation> create_file_by_link(const NewFile& file, std::string_view content);

}  // namespace otpgate::core
