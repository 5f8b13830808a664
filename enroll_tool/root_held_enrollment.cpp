#include "root_held_enrollment.hpp"

#include "output.hpp"
#include "verify_helper_client.hpp"

namespace otpgate::cli {
namespace {

// What root runs to make the change a helper request asks for.
std::string root_command_for(const std::string& request, const std::string& user) {
    std::string command = "otpgate ";
    if (request == "enroll-totp") {
        command += "enroll totp";
    } else if (request == "enroll-sms") {
        command += "enroll sms DESTINATION";
    } else if (request == "enroll-email") {
        command += "enroll email DESTINATION";
    } else if (request == "import-google-authenticator") {
        command += "import google-authenticator";
    } else {
        command += request;  // disable, backup-codes
    }
    return command + " --user " + user;
}

}  // namespace

bool enrollment_held_by_root(const CommandContext& context) {
    return context.config.store != core::StoreKind::files && !context.may_use_state;
}

ExitCode change_through_helper(const CommandContext& context,
                               const std::vector<std::string>& request) {
    if (!verify_helper_installed(context.config)) {
        return report(
            {ExitCode::not_permitted,
             "on this host root keeps the enrollments (store = " +
                 std::string(core::to_string(context.config.store)) +
                 "), and only root can change "
                 "them: otpgate-verify, through which you could, is not installed (" +
                 (context.config.verify_helper.empty() ? std::string("verify_helper is not set")
                                                       : context.config.verify_helper) +
                 "); nothing was changed; ask an administrator to run: " +
                 root_command_for(request.empty() ? std::string() : request.front(),
                                  context.user_name())});
    }
    if (auto refused = run_verify_helper(context.config, request)) {
        return report(*refused);
    }
    return ExitCode::ok;
}

ExitCode show_root_held_status(const CommandContext& context) {
    if (verify_helper_installed(context.config)) {
        if (auto refused = run_verify_helper(context.config, {"status"})) {
            return report(*refused);
        }
        return ExitCode::ok;
    }
    print("User " + context.user_name() +
          ": the enrollment is kept by root on this host (store = local), out of reach of your "
          "account.\n"
          "An administrator can show it: otpgate status --user " +
          context.user_name() +
          "\n"
          "Only root can change it here: otpgate-verify, through which you could, is not "
          "installed.\n");
    return ExitCode::ok;
}

}  // namespace otpgate::cli
