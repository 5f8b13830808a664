// otpgate-verify: the set-uid root helper through which an ordinary user
// proves a code of their second factor, or verifies a new phone number or
// address, without ever reading provider credentials or writing the
// root-owned state themselves; and, when root keeps the enrollments
// (store = local), makes their changes of enrollment whole. It acts only for the user who runs it
// (the real uid), reads only the configuration file fixed at build time, sends at most one code per
// run under the user's send limits, and the message text comes from that configuration: it can
// never relay what the caller writes. Everything it is given (arguments, input, environment,
// descriptors, limits) is treated as hostile; see process_hygiene.hpp.
#include <grp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "enrollment_requests.hpp"
#include "helper_exit.hpp"
#include "otpgate/core/primitives/random.hpp"
#include "otpgate/core/storage/open_storage.hpp"
#include "otpgate/core/system/clock.hpp"
#include "otpgate/core/system/host_name.hpp"
#include "otpgate/core/system/safe_text.hpp"
#include "otpgate/core/system/syslog_logger.hpp"
#include "process_hygiene.hpp"
#include "terminal_conversation.hpp"
#include "verification.hpp"
#include "verify_request.hpp"

namespace otpgate::verify {
namespace {

HelperExit fail(HelperExit exit, const std::string& message) {
    core::write_line(stderr, "otpgate-verify: error: ", message);
    return exit;
}

// No run outlives the longest code it could send by much; a forgotten
// terminal does not keep a root process around.
unsigned run_deadline_seconds(const core::Config& config) {
    return std::min(3600U, std::max(config.sms_code_lifetime, config.email_code_lifetime) + 300U);
}

HelperExit run(int argc, char** argv) {
    if (argc < 1 || argv[0] == nullptr) {
        return fail(HelperExit::usage, "no program name");  // execve with an empty argv
    }
    if (geteuid() != 0) {
        return fail(HelperExit::not_permitted, "otpgate-verify must be installed set-uid root");
    }
    const uid_t caller = getuid();
    // Set-uid changes only the effective uid. Become root entirely, like the
    // module under sshd: a program the helper starts (sendmail, a command
    // backend) must not see the caller as its real user, or it would read
    // that user's configuration (~/.msmtprc, say) with root's rights. The
    // caller's files are only ever touched with their own fs identity.
    if (setgroups(0, nullptr) != 0 || setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) {
        return fail(HelperExit::internal, "cannot become root");
    }
    core::SyslogLogger logger("otpgate-verify");
    const auto account = core::lookup_user(caller);
    if (!account) {
        return fail(HelperExit::not_permitted,
                    "your account cannot be looked up: " + account.error().message);
    }
    if (auto valid = core::validate_user_name(account->name); !valid) {
        return fail(HelperExit::not_permitted, "unusable user name: " + valid.error().message);
    }
    core::Config file_config;
    if (!core::load_config_file(file_config, OTPGATE_VERIFY_CONFIG,
                                core::ConfigRequirement::optional, logger)) {
        return fail(HelperExit::config, "the configuration has errors; ask an administrator");
    }
    const core::Config config = core::proof_config(std::move(file_config));
    logger.set_debug(config.debug);
    alarm(run_deadline_seconds(config));

    const std::vector<std::string> arguments(argv + 1, argv + argc);
    const VerifyRequest request = parse_verify_request(arguments, config);
    if (const auto* refused = std::get_if<RequestError>(&request)) {
        logger.notice("refused a request of user " + account->name + ": " + refused->message);
        std::fputs(verify_usage().data(), stderr);
        return fail(HelperExit::usage, refused->message);
    }
    logger.notice("request of user " + account->name + ": " + describe_request(request));

    auto storage = core::open_storage(config, logger);
    if (!storage) {
        logger.error("cannot open the storage: " + storage.error().message);
        return fail(HelperExit::storage, "the storage cannot be opened; ask an administrator");
    }
    cli::CodeReader reader;
    cli::TerminalConversation conversation(reader);
    const core::SystemClock clock;
    core::OpenSslRandom random;
    core::LoginServices login{conversation,
                              logger,
                              clock,
                              random,
                              **storage,
                              [&delivery = config.delivery, &logger](core::Channel channel) {
                                  return core::make_message_sender(delivery, channel, logger);
                              },
                              core::host_name(),
                              core::CheckPrimitives{}};
    const HelperServices services{config, *account, login};
    const HelperOutcome outcome = std::visit(
        [&services](const auto& asked) -> HelperOutcome {
            using Asked = std::decay_t<decltype(asked)>;
            if constexpr (std::is_same_v<Asked, ProveCurrent>) {
                return prove_current(services);
            } else if constexpr (std::is_same_v<Asked, VerifyDestination>) {
                return verify_destination(services, asked);
            } else if constexpr (std::is_same_v<Asked, ConfirmTotp>) {
                return confirm_totp(services, asked);
            } else if constexpr (std::is_same_v<Asked, DisableEnrollment>) {
                return disable_enrollment(services);
            } else if constexpr (std::is_same_v<Asked, RenewBackupCodes>) {
                return renew_backup_codes(services);
            } else if constexpr (std::is_same_v<Asked, EnrollTotp>) {
                return enroll_totp(services, asked);
            } else if constexpr (std::is_same_v<Asked, ImportGoogleAuthenticator>) {
                return import_google_authenticator(services, asked);
            } else if constexpr (std::is_same_v<Asked, ShowStatus>) {
                return show_status(services);
            } else {
                return {HelperExit::usage, asked.message};  // refused above already
            }
        },
        request);
    if (outcome.exit != HelperExit::ok) {
        return fail(outcome.exit, outcome.message);
    }
    if (!outcome.message.empty()) {
        cli::tell(outcome.message);
    }
    return HelperExit::ok;
}

}  // namespace
}  // namespace otpgate::verify

int main(int argc, char** argv) {
    using otpgate::verify::HelperExit;
    // Before anything else, and before any library reads the environment.
    if (!otpgate::verify::take_over_process()) {
        return static_cast<int>(HelperExit::internal);
    }
    try {
        return static_cast<int>(otpgate::verify::run(argc, argv));
    } catch (const std::bad_alloc&) {
        std::fputs("otpgate-verify: error: out of memory\n", stderr);
    } catch (const std::exception& error) {
        otpgate::core::write_line(stderr, "otpgate-verify: internal error: ", error.what());
    } catch (...) {
        std::fputs("otpgate-verify: internal error\n", stderr);
    }
    return static_cast<int>(HelperExit::internal);
}
