#include "helper_records.hpp"

#include "otpgate/core/primitives/destination.hpp"

namespace otpgate::verify {

using core::ErrorKind;

HelperOutcome storage_outcome(const core::Error& error, const std::string& what) {
    if (error.kind == ErrorKind::unsafe) {
        return {HelperExit::not_permitted, "refusing " + what + ": " + error.message};
    }
    return {HelperExit::storage, what + ": " + error.message};
}

std::string describe(core::Channel channel, const std::string& destination) {
    return std::string(core::to_string(channel)) + " " +
           core::mask_destination(channel, destination);
}

std::string describe_enrollment(const core::Enrollment& enrollment) {
    const auto channel = core::channel_of(enrollment.method);
    return channel ? describe(*channel, enrollment.destination) : "TOTP app";
}

core::Result<core::UserState> root_record(const HelperServices& services) {
    auto state = services.login.storage.read_state(services.account.name);
    if (!state) {
        return state.error();
    }
    return *state ? std::move(**state) : core::UserState{};
}

std::string verified_destination(const HelperServices& services) {
    auto record = root_record(services);
    return record ? record->verified_destination : std::string();
}

bool state_shows_a_factor(const core::UserState& state) {
    return !state.verified_destination.empty() || !state.enrollment_id.empty();
}

void send_notice(const HelperServices& services, core::ChangeKind kind, std::string description,
                 const core::NoticeAddresses& addresses) {
    core::ChangeNotice notice;
    notice.kind = kind;
    notice.description = std::move(description);
    notice.time = services.login.clock.now();
    notice.host = services.login.host_name;
    core::notify_change(services.config, services.account, notice, addresses,
                        services.login.logger);
    // The shared store's audit log (files keep none).
    const core::AuditEvent entry{"otpgate-verify", services.account.name, "",
                                 std::string(core::to_string(kind)), "done"};
    if (auto recorded = services.login.storage.record_event(entry); !recorded) {
        services.login.logger.warning("cannot record the change for user " + services.account.name +
                                      " in the audit log: " + recorded.error().message);
    }
}

core::NoticeAddresses proven_address_of(const core::Enrollment& enrollment,
                                        const std::string& verified) {
    core::NoticeAddresses addresses;
    if (enrollment.method == core::Method::email) {
        addresses.add_if_proven(enrollment.destination, verified);
    }
    return addresses;
}

std::optional<HelperOutcome> refuse_without_proof(const HelperServices& services,
                                                  const core::Error& file_error) {
    const auto record = root_record(services);
    if (!record) {
        return storage_outcome(record.error(), "the login state of user " + services.account.name);
    }
    if (!state_shows_a_factor(*record)) {
        return std::nullopt;
    }
    const std::string what =
        file_error.kind == ErrorKind::not_found ? "file is missing" : "cannot be read";
    services.login.logger.warning("refused a change for user " + services.account.name +
                                  ": the enrollment " + what +
                                  " but root's state shows a second factor");
    return HelperOutcome{HelperExit::not_permitted,
                         "your enrollment " + what +
                             ", but this host's records show a second factor for you, and a "
                             "change needs its code; ask an administrator to reset it "
                             "(otpgate disable --user " +
                             services.account.name + ")"};
}

}  // namespace otpgate::verify
