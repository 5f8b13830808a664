#include "otpgate/core/enrollment/change_notice.hpp"

#include <algorithm>
#include <ctime>
#include <optional>

#include <time.h>

#include "otpgate/core/delivery/message.hpp"
#include "otpgate/core/primitives/destination.hpp"

namespace otpgate::core {
namespace {

std::string utc_text(std::int64_t unix_time) {
    const auto time = static_cast<std::time_t>(unix_time);
    std::tm parts{};
    gmtime_r(&time, &parts);
    char text[40];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &parts);
    return text;
}

std::string_view what_happened(ChangeKind kind) {
    switch (kind) {
        case ChangeKind::enabled: return "Two-factor authentication was turned on";
        case ChangeKind::changed: return "The second factor was changed";
        case ChangeKind::disabled: return "Two-factor authentication was turned off";
        case ChangeKind::backup_codes_renewed:
            return "New backup codes were made (the old ones no longer work)";
    }
    return "The second factor was changed";
}

// The proven addresses, else the account's address in notify_domain.
std::vector<std::string> recipients(const Config& config, const UserAccount& account,
                                    const NoticeAddresses& proven, Logger& logger) {
    std::vector<std::string> out = proven.addresses();
    if (out.empty() && !config.notify_domain.empty()) {
        if (auto derived = normalize_email(account.name + "@" + config.notify_domain)) {
            out.push_back(std::move(*derived));
        } else {
            logger.warning("no change notice for user " + account.name + ": " + account.name + "@" +
                           config.notify_domain + " is not an email address");
        }
    }
    return out;
}

}  // namespace

void NoticeAddresses::add_if_proven(std::string_view address, std::string_view proven_fingerprint) {
    if (proven_fingerprint.empty() ||
        destination_fingerprint(Channel::email, address) != proven_fingerprint) {
        return;
    }
    auto normalized = normalize_email(address);
    if (normalized &&
        std::find(m_addresses.begin(), m_addresses.end(), *normalized) == m_addresses.end()) {
        m_addresses.push_back(std::move(*normalized));
    }
}

std::string_view to_string(ChangeKind kind) {
    switch (kind) {
        case ChangeKind::enabled: return "enabled";
        case ChangeKind::changed: return "changed";
        case ChangeKind::disabled: return "disabled";
        case ChangeKind::backup_codes_renewed: return "backup codes renewed";
    }
    return "changed";
}

std::string change_notice_text(const UserAccount& account, const ChangeNotice& notice) {
    return "Hello " + account.name + ",\n\n" + std::string(what_happened(notice.kind)) +
           " for your account " + account.name + " on " + notice.host + " at " +
           utc_text(notice.time) + ".\n" + "Second factor: " + notice.description +
           "\n\nIf this was not you, contact your administrator.\n";
}

void notify_change(const Config& config, const UserAccount& account, const ChangeNotice& notice,
                   const NoticeAddresses& proven, Logger& logger) {
    const std::string who = "user " + account.name;
    logger.notice("second factor " + std::string(to_string(notice.kind)) + " for " + who + ": " +
                  notice.description);
    if (!config.notify_changes) {
        return;
    }
    const auto addresses = recipients(config, account, proven, logger);
    if (addresses.empty()) {
        logger.debug("no change notice for " + who + ": no email address is known");
        return;
    }
    auto sender = make_message_sender(config.delivery, Channel::email, logger);
    if (!sender) {
        logger.warning("no change notice emailed to " + who + ": " + sender.error().message);
        return;
    }
    for (const auto& address : addresses) {
        OutgoingMessage message;
        message.channel = Channel::email;
        message.kind = MessageKind::notice;
        message.to = address;
        message.user = account.name;
        message.host = notice.host;
        message.notice_text = change_notice_text(account, notice);
        const DeliveryResult result = sender.value()->send(message);
        const std::string masked = mask_email(address);
        if (result.delivered) {
            logger.info("change notice for " + who + " sent to " + masked);
        } else {
            logger.warning("change notice for " + who + " not delivered to " + masked + ": " +
                           result.detail);
        }
    }
}

}  // namespace otpgate::core
