#include "google_authenticator_source.hpp"

#include "import_report.hpp"

namespace otpgate::cli {

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
    auto text = core::read_google_authenticator_text(context.target.account, path);
    if (!text) {
        if (text.error().kind == core::ErrorKind::not_found) {
            return Failure{ExitCode::not_enrolled, path.string() + " does not exist (has user " +
                                                       context.user_name() +
                                                       " set up google-authenticator?)"};
        }
        Failure failure = storage_failure(text.error(), what);
        failure.message += unreadable_file_advice(text.error());
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
