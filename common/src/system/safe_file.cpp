#include "otpgate/core/system/safe_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "otpgate/core/primitives/random.hpp"
#include "otpgate/core/system/descriptor_io.hpp"
#include "otpgate/core/system/file_lock.hpp"

namespace otpgate::core {
namespace {

std::string octal_mode(mode_t mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

Error open_error(const std::filesystem::path& path, int error_number) {
    switch (error_number) {
        case ENOENT:
        case ENOTDIR: return make_error(ErrorKind::not_found, path.string() + " does not exist");
        case ELOOP: return make_error(ErrorKind::unsafe, path.string() + " is a symbolic link");
        default:
            return make_error(ErrorKind::unavailable,
                              "cannot open " + path.string() + ": " + errno_text(error_number));
    }
}

Result<UniqueFd> open_locked_directory(const std::filesystem::path& directory,
                                       std::chrono::milliseconds lock_timeout) {
    UniqueFd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid()) {
        const int error_number = errno;
        return make_error(
            error_number == ENOENT ? ErrorKind::not_found : ErrorKind::io,
            "cannot open directory " + directory.string() + ": " + errno_text(error_number));
    }
    if (auto locked = lock_file(dir.get(), LockMode::exclusive, lock_timeout, directory); !locked) {
        return locked.error();
    }
    return dir;
}

// open_checked, also giving what fstat found (read_checked sizes its
// buffer by it).
Result<UniqueFd> open_and_check(const std::filesystem::path& path, const FileRules& rules,
                                struct stat& info) {
    // O_NONBLOCK: opening a FIFO someone planted must not hang the login.
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd.valid()) {
        return open_error(path, errno);
    }
    if (fstat(fd.get(), &info) != 0) {
        return make_error(ErrorKind::io, "cannot stat " + path.string() + ": " + errno_text(errno));
    }
    if (!S_ISREG(info.st_mode)) {
        return make_error(ErrorKind::unsafe, path.string() + " is not a regular file");
    }
    const bool owner_ok =
        info.st_uid == rules.owner || (rules.also_allow_root_owner && info.st_uid == 0);
    if (!owner_ok) {
        return make_error(ErrorKind::unsafe, path.string() + " is owned by uid " +
                                                 std::to_string(info.st_uid) + ", expected uid " +
                                                 std::to_string(rules.owner));
    }
    if ((info.st_mode & rules.forbidden_mode_bits) != 0) {
        return make_error(ErrorKind::unsafe, path.string() + " has unsafe permissions " +
                                                 octal_mode(info.st_mode) + " (must not have " +
                                                 octal_mode(rules.forbidden_mode_bits) + ")");
    }
    if (static_cast<std::uint64_t>(info.st_size) > rules.max_size) {
        return make_error(ErrorKind::unsafe, path.string() + " is larger than " +
                                                 std::to_string(rules.max_size) + " bytes");
    }
    // O_NONBLOCK stays: on a regular file it changes nothing (reads of
    // regular files never wait for data), and clearing it cost two system
    // calls at every login.
    return fd;
}

}  // namespace

Result<UniqueFd> open_checked(const std::filesystem::path& path, const FileRules& rules) {
    struct stat info {};
    return open_and_check(path, rules, info);
}

Result<SecretString> read_checked(const std::filesystem::path& path, const FileRules& rules) {
    struct stat info {};
    auto fd = open_and_check(path, rules, info);
    if (!fd) {
        return fd.error();
    }
    SecretString content;
    // Sized by the file (one byte more, so the first read takes it all):
    // no 4 KiB buffer to wipe for a 1 KiB enrollment.
    SecretBytes chunk(
        std::clamp<std::size_t>(static_cast<std::size_t>(info.st_size) + 1, 256, 4096));
    while (true) {
        const ssize_t got = ::read(fd->get(), chunk.data(), chunk.size());
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            return make_error(ErrorKind::io,
                              "cannot read " + path.string() + ": " + errno_text(errno));
        }
        if (got == 0) {
            break;
        }
        if (content.size() + static_cast<std::size_t>(got) > rules.max_size) {
            return make_error(ErrorKind::unsafe, path.string() + " is larger than " +
                                                     std::to_string(rules.max_size) + " bytes");
        }
        content.append(reinterpret_cast<const char*>(chunk.data()), static_cast<std::size_t>(got));
    }
    return content;
}

Result<void> replace_file_atomically(const std::filesystem::path& path, std::string_view content,
                                     mode_t mode, std::chrono::milliseconds lock_timeout) {
    const std::filesystem::path directory = path.parent_path();
    const std::string name = path.filename().string();
    auto dir = open_locked_directory(directory, lock_timeout);
    if (!dir) {
        return dir.error();
    }
    OpenSslRandom random;
    const std::string temp_name = "." + name + ".tmp-" + random_hex(random, 8);
    UniqueFd temp(::openat(dir->get(), temp_name.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    if (!temp.valid()) {
        return make_error(ErrorKind::io, "cannot create a file in " + directory.string() + ": " +
                                             errno_text(errno));
    }
    const auto fail = [&](const std::string& what) -> Result<void> {
        const int error_number = errno;
        temp.reset();
        ::unlinkat(dir->get(), temp_name.c_str(), 0);
        return make_error(ErrorKind::io, "cannot " + what + " " + path.string() + ": " +
                                             errno_text(error_number) +
                                             "; the old file is unchanged");
    };
    if (fchmod(temp.get(), mode) != 0) {  // the umask must not loosen or tighten it
        return fail("set the mode of");
    }
    if (!write_all(temp.get(), content)) {
        return fail("write");
    }
    if (fsync(temp.get()) != 0) {
        return fail("sync");
    }
    if (::close(temp.release()) != 0) {
        return fail("write");
    }
    if (::renameat(dir->get(), temp_name.c_str(), dir->get(), name.c_str()) != 0) {
        return fail("replace");
    }
    if (fsync(dir->get()) != 0) {
        return make_error(
            ErrorKind::io,
            "wrote " + path.string() + " but could not sync its directory: " + errno_text(errno));
    }
    return {};
}

Result<void> remove_file_locked(const std::filesystem::path& path,
                                std::chrono::milliseconds lock_timeout) {
    auto dir = open_locked_directory(path.parent_path(), lock_timeout);
    if (!dir) {
        return dir.error();
    }
    if (::unlinkat(dir->get(), path.filename().c_str(), 0) != 0) {
        const int error_number = errno;
        return make_error(error_number == ENOENT ? ErrorKind::not_found : ErrorKind::io,
                          "cannot remove " + path.string() + ": " + errno_text(error_number));
    }
    if (fsync(dir->get()) != 0) {
        return make_error(
            ErrorKind::io,
            "removed " + path.string() + " but could not sync its directory: " + errno_text(errno));
    }
    return {};
}

Result<Creation> create_file_by_link(const NewFile& file, std::string_view content) {
    const int dir_fd = file.directory_fd;
    const char* const temp_name = file.temporary_name.c_str();
    const auto failure = [&file](const std::string& what, int error_number) {
        return make_error(ErrorKind::io, file.kind + " " + file.path.string() + ": " + what + ": " +
                                             errno_text(error_number));
    };
    UniqueFd temp(::openat(dir_fd, temp_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                           file.mode));
    if (!temp.valid()) {
        return failure("cannot create", errno);
    }
    // The temporary name goes on every path; `temp` stays open (and, with a
    // lock, locked) until the return, after it is gone.
    if (fchmod(temp.get(), file.mode) != 0 || !write_all(temp.get(), content) ||
        fsync(temp.get()) != 0) {
        const int error_number = errno;
        ::unlinkat(dir_fd, temp_name, 0);
        return failure("cannot write", error_number);
    }
    if (file.lock_timeout) {
        // Nobody else can hold the lock of a file only this process has named.
        if (auto locked = lock_file(temp.get(), LockMode::exclusive, *file.lock_timeout, file.path);
            !locked) {
            ::unlinkat(dir_fd, temp_name, 0);
            return locked.error();
        }
    }
    // linkat, unlike renameat, never replaces what has the name already.
    const bool linked = ::linkat(dir_fd, temp_name, dir_fd, file.name.c_str(), 0) == 0;
    const int link_error = errno;
    ::unlinkat(dir_fd, temp_name, 0);
    if (!linked && link_error != EEXIST) {
        return failure("cannot create", link_error);
    }
    // Also when another process linked first: its file is the one used next,
    // so its name must be on disk too.
    if (fsync(dir_fd) != 0) {
        return failure("cannot sync its directory", errno);
    }
    return linked ? Creation::created : Creation::existed;
}

}  // namespace otpgate::core
