#include "announce_change.hpp"

#include "otpgate/core/host_name.hpp"
#include "otpgate/core/destination.hpp"
#include "otpgate/core/otpauth_uri.hpp"

namespace otpgate::cli {
namespace {

void add_email_of(std::vector<std::string>& addresses, const core::Enrollment* enrollment) {
    if (enrollment != nullptr && enrollment->method == core::Method::email &&
        !enrollment->destination.empty()) {
        addresses.push_back(enrollment->destination);
    }
}

}  // namespace

std::string describe_method(const core::Enrollment& enrollment) {
    switch (enrollment.method) {
        case core::Method::totp: return "TOTP app";
        case core::Method::sms: return "SMS to " + core::mask_phone(enrollment.destination);
        case core::Method::email: return "email to " + core::mask_email(enrollment.destination);
    }
    return "unknown method";
}

void announce_change(const CommandContext& context, core::ChangeKind kind,
                     const core::Enrollment* subject, const core::Enrollment* previous) {
    core::ChangeNotice notice;
    notice.kind = kind;
    notice.description = subject != nullptr ? describe_method(*subject) : "unreadable enrollment";
    if (previous != nullptr) {
        const std::string before = describe_method(*previous);
        if (before != notice.description) {
            notice.description += " (was " + before + ")";
        }
    }
    notice.time = context.clock.now();
    notice.host = core::host_name();
    std::vector<std::string> addresses;
    add_email_of(addresses, subject);
    add_email_of(addresses, previous);
    core::notify_change(context.config, context.target.account, notice, addresses, context.logger);
}

}  // namespace otpgate::cli
