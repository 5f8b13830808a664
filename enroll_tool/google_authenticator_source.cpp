#include "google_authenticator_source.hpp"

#include <sys/stat.h>

#include "otpgate/core/system/privilege_drop.hpp"
#include "otpgate/core/system/safe_file.hpp"

namespace otpgate::cli {
namespace {

// google-authenticator writes the file with mode 0400 and its module
// refuses any group or other permission by default; so does the import:
// a secret that others could read may be known to them.
core::FileRules google_authenticator_rules(const core::UserAccount& account) {
    core::FileRules rules;
    rules.owner = account.uid;
    rules.forbidden_mode_bits = 0077;
    rules.max_size = core::max_google_authenticator_file_size;
    return rules;
}

// Someone else's file would mostly fail to open with "Permission denied";
// saying whose it is tells an ordinary user why. Only for the message:
// open_checked checks the owner again on what it actually opened.
std::optional<core::Error> owned_by_someone_else(const std::filesystem::path& path, uid_t owner) {
    struct stat info {};
    if (lstat(path.c_str(), &info) != 0 || info.st_uid == owner || S_ISLNK(info.st_mode)) {
        return std::nullopt;
    }
    return core::make_error(core::ErrorKind::unsafe,
                            path.string() + " belongs to uid " + std::to_string(info.st_uid) +
                                ", not to the user (uid " + std::to_string(owner) + ")");
}

core::Result<core::SecretString> read_as_user(const core::UserAccount& account,
                                              const std::filesystem::path& path) {
    const core::FileSystemIdentity as_user(account);
    if (auto foreign = owned_by_someone_else(path, account.uid)) {
        return std::move(*foreign);
    }
    return core::read_checked(path, google_authenticator_rules(account));
}

}  // namespace

std::variant<std::filesystem::path, Failure> google_authenticator_path(
    const CommandContext& context, const std::optional<std::string>& named) {
    if (named) {
        if (named->empty()) {
            return Failure{ExitCode::usage, "FILE: empty path"};
        }
        return std::filesystem::path(*named);
    }
    const std::string& home = context.target.account.home;
    if (home.empty() || home.front() != '/' || home == "/") {
        return Failure{ExitCode::usage, "user " + context.user_name() +
                                            " has no usable home directory; name the file"};
    }
    return std::filesystem::path(home) / ".google_authenticator";
}

std::variant<core::GoogleAuthenticatorFile, Failure> read_google_authenticator_file(
    const CommandContext& context, const std::filesystem::path& path) {
    const std::string what = "the google-authenticator file " + path.string();
    auto text = read_as_user(context.target.account, path);
    if (!text) {
        if (text.error().kind == core::ErrorKind::not_found) {
            return Failure{ExitCode::not_enrolled, path.string() + " does not exist (has user " +
                                                       context.user_name() +
                                                       " set up google-authenticator?)"};
        }
        Failure failure = storage_failure(text.error(), what);
        if (text.error().kind == core::ErrorKind::unsafe &&
            text.error().message.find("permissions") != std::string::npos) {
            failure.message +=
                "; if nobody else can have read it, chmod 600 it and try again, "
                "else enroll anew with `otpgate enroll totp`";
        }
        return failure;
    }
    auto parsed = core::parse_google_authenticator_file(text->view());
    if (!parsed) {
        return Failure{ExitCode::storage, what + " cannot be read: " + parsed.error().message +
                                              "; nothing was changed"};
    }
    return std::move(parsed.value());
}

}  // namespace otpgate::cli
