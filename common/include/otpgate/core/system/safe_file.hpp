// Opening, reading and replacing files without trusting the path.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include <sys/types.h>

#include "otpgate/core/system/file_lock.hpp"
#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/primitives/secret.hpp"
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
// not_found when absent; unsafe with the reason otherwise.
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

}  // namespace otpgate::core
