// Telling a user that their second factor changed: always one log line,
// and an email when an address is known, so that someone who did not make
// the change hears about it. Never a code, a secret or a full destination.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "otpgate/core/config.hpp"
#include "otpgate/core/logger.hpp"
#include "otpgate/core/user_account.hpp"

namespace otpgate::core {

enum class ChangeKind { enabled, changed, disabled, backup_codes_renewed };

std::string_view to_string(ChangeKind kind);  // "enabled", "changed", ...

struct ChangeNotice {
    ChangeKind kind = ChangeKind::enabled;
    // The method, masked: "TOTP app", "SMS to +44•••••••123".
    std::string description;
    std::int64_t time = 0;  // Unix time of the change
    std::string host;
};

// The body of the email: what changed, when (UTC), on which host, and what
// to do if it was not the user.
std::string change_notice_text(const UserAccount& account, const ChangeNotice& notice);

// Logs the change (notice), then, when notify_changes is on, emails the
// notice to each of `enrolled_emails` (the user's email destinations, old
// and new), or to user@notify_domain when there are none. A missing email
// backend or a failed delivery is a warning: the change has already
// happened and must not be reported as failed.
void notify_change(const Config& config, const UserAccount& account, const ChangeNotice& notice,
                   const std::vector<std::string>& enrolled_emails, Logger& logger);

}  // namespace otpgate::core
