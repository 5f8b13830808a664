#include "import_report.hpp"

#include "output.hpp"

namespace otpgate::cli {

std::string unreadable_file_advice(const core::Error& error) {
    if (error.kind == core::ErrorKind::unsafe &&
        error.message.find("permissions") != std::string::npos) {
        return "; if nobody else can have read it, chmod 600 it and try again, "
               "else enroll anew with `otpgate enroll totp`";
    }
    return {};
}
namespace {

void print_list(std::string_view title, const std::vector<std::string>& lines) {
    if (lines.empty()) {
        return;
    }
    print(std::string(title) + "\n");
    for (const auto& line : lines) {
        print("  - " + line + "\n");
    }
}

}  // namespace

void print_import_report(const std::string& source, const std::string& user,
                         const std::optional<std::string>& target,
                         const core::GoogleAuthenticatorImport& imported, bool by_root) {
    print("Imported " + source + " for user " + user +
          (target ? " into " + *target : std::string()) + ".\n\n");
    print_list("Carried over:", imported.carried);
    print_list("Not carried over:", imported.not_carried);
    print(
        "\nThe google-authenticator file is left as it was, and logins keep using it until "
        "the PAM\nstack is switched: in /etc/pam.d/sshd (and every other service that uses "
        "it), replace\n    auth required pam_google_authenticator.so\nwith\n"
        "    auth required pam_otpgate.so\n"
        "Until then a scratch code used with one still works once with the other. Once no "
        "service\nuses pam_google_authenticator.so, the file can be removed.\n");
    if (!by_root) {
        print("Changing the PAM stack takes root: ask your administrator.\n");
    }
}

}  // namespace otpgate::cli
