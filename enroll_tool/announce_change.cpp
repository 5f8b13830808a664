#include "announce_change.hpp"

#include "otpgate/core/enrollment/otpauth_uri.hpp"
#include "otpgate/core/primitives/destination.hpp"
#include "otpgate/core/system/host_name.hpp"

namespace otpgate::cli {
namespace {

// The enrollment's address, if root's state showed it proven before the
// change or shows it now (a destination just verified by code).
void add_email_of(core::NoticeAddresses& addresses, const core::Enrollment* enrollment,
                  const CommandContext& context, const std::string& verified_now) {
    if (enrollment != nullptr && enrollment->method == core::Method::email) {
        addresses.add_if_proven(enrollment->destination, context.verified_at_start);
        addresses.add_if_proven(enrollment->destination, verified_now);
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
    core::NoticeAddresses addresses;
    const std::string verified_now = verified_fingerprint(context);
    add_email_of(addresses, subject, context, verified_now);
    add_email_of(addresses, previous, context, verified_now);
    core::notify_change(context.config, context.target.account, notice, addresses, context.logger);
    audit_change(context, core::to_string(kind));
}

void audit_change(const CommandContext& context, std::string_view event) {
    const core::AuditEvent entry{"otpgate", context.user_name(), "", std::string(event), "done"};
    if (auto recorded = context.storage.record_event(entry); !recorded) {
        context.logger.warning("cannot record the change for user " + context.user_name() +
                               " in the audit log: " + recorded.error().message);
    }
}

}  // namespace otpgate::cli
