#include "otpgate/core/recorded_check.hpp"

#include "otpgate/core/code_check.hpp"
#include "otpgate/core/state_store.hpp"

namespace otpgate::core {

AttemptResult check_and_record(const std::string& user_name, const Enrollment& enrollment,
                               std::string_view digits, const Config& config, Logger& logger,
                               std::int64_t now) {
    const StateStore states(config.state_dir);
    auto locked = states.lock(user_name);
    if (!locked) {
        logger.error("cannot check the code of user " + user_name + ": " + locked.error().message);
        return AttemptResult::unavailable;
    }
    UserState& state = locked->state();
    const CodeVerdict verdict =
        check_code(enrollment, state, digits, now, config.totp_window);
    switch (verdict) {
        case CodeVerdict::accepted_totp:
        case CodeVerdict::accepted_backup: {
            if (auto saved = locked->commit(); !saved) {
                // Without a durable record the code could be used again.
                logger.error("refusing a valid code of user " + user_name +
                             " because it cannot be recorded: " + saved.error().message);
                return AttemptResult::unavailable;
            }
            if (verdict == CodeVerdict::accepted_backup) {
                const auto used = static_cast<unsigned>(__builtin_popcountll(state.backup_used_mask));
                logger.notice("user " + user_name + " authenticated with a backup code (" +
                              std::to_string(enrollment.backup.hashes_hex.size() - used) + " left)");
            } else {
                logger.info("user " + user_name + " authenticated with a TOTP code");
            }
            return AttemptResult::accepted;
        }
        case CodeVerdict::replayed:
            logger.warning("replayed code for user " + user_name + " refused");
            return AttemptResult::rejected;
        case CodeVerdict::wrong:
            logger.notice("wrong code for user " + user_name + " (" + std::to_string(digits.size()) +
                          " digits)");
            return AttemptResult::rejected;
    }
    return AttemptResult::rejected;
}

}  // namespace otpgate::core
