// Telling a user that their second factor changed: always one log line,
// and an email when an address is known, so that someone who did not make
// the change hears about it. Never a code, a secret or a full destination.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "otpgate/core/config/config.hpp"
#include "otpgate/core/system/logger.hpp"
#include "otpgate/core/system/user_account.hpp"

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

// The addresses a notice may go to: only those root's state shows the user
// proved they receive, by the fingerprint of a destination verified with a
// code (destination.hpp). An address read from a file the user can write is
// only a candidate: were it enough, any user could make the host mail
// anyone by writing an address into their enrollment.
class NoticeAddresses {
public:
    // Adds `address` when it is an email address whose fingerprint is
    // `proven_fingerprint` (empty: nothing is proven, nothing is added).
    void add_if_proven(std::string_view address, std::string_view proven_fingerprint);
    [[nodiscard]] const std::vector<std::string>& addresses() const noexcept { return m_addresses; }

private:
    std::vector<std::string> m_addresses;
};

// Logs the change (notice), then, when notify_changes is on, emails the
// notice to each of the proven `addresses` (the user's email destinations,
// old and new), or to user@notify_domain when there are none. A missing
// email backend or a failed delivery is a warning: the change has already
// happened and must not be reported as failed.
void notify_change(const Config& config, const UserAccount& account, const ChangeNotice& notice,
                   const NoticeAddresses& addresses, Logger& logger);

}  // namespace otpgate::core
