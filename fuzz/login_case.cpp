#include "login_case.hpp"

#include <array>
#include <cerrno>

namespace otpgate::fuzz {
namespace {

// Reads the layout of login_case.hpp; past the end, everything is zero.
class InputReader {
public:
    InputReader(const std::uint8_t* data, std::size_t size) : m_data(data), m_size(size) {}

    std::uint8_t u8() { return m_at < m_size ? m_data[m_at++] : 0; }
    std::int8_t s8() { return static_cast<std::int8_t>(u8()); }
    unsigned u16() {
        const unsigned low = u8();
        return low | (static_cast<unsigned>(u8()) << 8);
    }
    std::string bytes(std::size_t length) {
        const std::size_t taken = std::min(length, m_size - m_at);
        std::string out(reinterpret_cast<const char*>(m_data + m_at), taken);
        m_at += taken;
        return out;
    }
    std::string str8() { return bytes(u8()); }
    std::string str16() { return bytes(u16()); }

private:
    const std::uint8_t* m_data;
    std::size_t m_size;
    std::size_t m_at = 0;
};

// Kept small: a step offset is only interesting near the window.
int small_step(InputReader& in) {
    return in.s8() % 4;
}

EnrollmentSpec read_enrollment(InputReader& in) {
    EnrollmentSpec spec;
    spec.kind = static_cast<EnrollmentSpec::Kind>(in.u8() % 7);
    if (spec.kind == EnrollmentSpec::Kind::none || spec.kind == EnrollmentSpec::Kind::directory) {
        return spec;
    }
    if (spec.kind == EnrollmentSpec::Kind::bytes) {
        spec.bytes = in.str16();
        return spec;
    }
    constexpr std::array algorithms = {core::HashAlgorithm::sha1, core::HashAlgorithm::sha256,
                                       core::HashAlgorithm::sha512};
    spec.totp.algorithm = algorithms[in.u8() % algorithms.size()];
    spec.totp.digits = core::min_otp_digits + in.u8() % 3;
    constexpr std::array periods = {30U, 60U, 10U, 300U};
    spec.totp.period = periods[in.u8() % periods.size()];
    spec.secret = in.str8();
    spec.secret.resize(std::max<std::size_t>(spec.secret.size(), 10), 'k');
    spec.secret.resize(std::min<std::size_t>(spec.secret.size(), 64));
    spec.backup_count = in.u8() % 4;
    spec.backup_digits = (in.u8() & 1) != 0 ? 8 : 10;
    spec.backup_seed = in.u8();
    return spec;
}

StateSpec read_state(InputReader& in) {
    StateSpec spec;
    spec.kind = static_cast<StateSpec::Kind>(in.u8() % 6);
    if (spec.kind == StateSpec::Kind::bytes) {
        spec.bytes = in.str16();
    } else if (spec.kind == StateSpec::Kind::record) {
        const std::uint8_t flags = in.u8();
        spec.has_last_step = (flags & 1) != 0;
        spec.same_enrollment = (flags & 2) != 0;
        spec.verified_destination = (flags & 4) != 0;
        spec.locked = (flags & 8) != 0;
        spec.remembered_host = (flags & 16) != 0;
        spec.newer_slot_torn = (flags & 32) != 0;
        spec.older_slot_torn = (flags & 64) != 0;
        spec.last_step = small_step(in);
        spec.spent_backups = in.u8();
        spec.recent_failures = in.u8() % (core::max_recorded_failures + 1);
        spec.recent_sends = in.u8() % (core::max_recorded_sends + 1);
    }
    return spec;
}

FenceSpec read_fence(InputReader& in) {
    FenceSpec spec;
    spec.kind = static_cast<FenceSpec::Kind>(in.u8() % 5);
    if (spec.kind == FenceSpec::Kind::bytes) {
        spec.bytes = in.str16();
    } else if (spec.kind == FenceSpec::Kind::this_boot ||
               spec.kind == FenceSpec::Kind::other_boot) {
        spec.newest_step = small_step(in);
        spec.refused_step = small_step(in);
    }
    return spec;
}

Reply read_reply(InputReader& in) {
    Reply reply;
    reply.kind = static_cast<Reply::Kind>(in.u8() % 11);
    switch (reply.kind) {
        case Reply::Kind::text: reply.text = in.str8(); break;
        case Reply::Kind::totp_code:
            reply.step = small_step(in);
            reply.separators = in.u8();
            break;
        case Reply::Kind::wrong_code: reply.step = small_step(in); break;
        case Reply::Kind::backup_code:
            reply.index = in.u8();
            reply.separators = in.u8();
            break;
        default: break;
    }
    return reply;
}

Fault read_fault(InputReader& in) {
    // The errors each kind of call can really report, and EINTR.
    constexpr std::array errors = {EIO,    ENOSPC, EINTR,  EACCES, ENOENT, EWOULDBLOCK,
                                   EDQUOT, EROFS,  EMFILE, ENOMEM, EPERM,  ENOLCK};
    Fault fault;
    fault.operation = static_cast<Operation>(in.u8() % operation_count);
    fault.nth = 1 + in.u8() % 64;
    const std::uint8_t how = in.u8();
    fault.error = errors[(how & 0x3f) % errors.size()];
    fault.persistent = (how & 0x80) != 0;
    fault.short_write = (how & 0x40) != 0;
    return fault;
}

ClockPlan read_clock(InputReader& in) {
    // Jumps within the window, across it, back before the epoch and to
    // times no clock should show.
    constexpr std::array<std::int64_t, 12> jumps = {
        1, -1, 29, -29, 30, -30, 31, 3600, -3600, -login_epoch - 1, 1LL << 40, -(1LL << 40)};
    ClockPlan clock;
    const std::int64_t steps = in.u16();
    clock.start = login_epoch + 30 * steps + in.u8() % 30;
    clock.jump_at = in.u8() % 16;
    clock.jump_by = jumps[in.u8() % jumps.size()];
    return clock;
}

std::optional<std::string> pick(InputReader& in, const std::vector<const char*>& names,
                                std::size_t none) {
    const std::size_t choice = in.u8() % (names.size() + 2);
    if (choice == none) {
        return std::nullopt;
    }
    if (choice > names.size()) {
        return in.str8();
    }
    return std::string(names[choice < none ? choice : choice - 1]);
}

}  // namespace

LoginCase decode_login_case(const std::uint8_t* data, std::size_t size) {
    InputReader in(data, size);
    LoginCase login;
    login.user_kind = static_cast<LoginCase::UserKind>(in.u8() % 4);
    switch (login.user_kind) {
        case LoginCase::UserKind::root: login.user_name = "root"; break;
        case LoginCase::UserKind::nobody: login.user_name = "nobody"; break;
        case LoginCase::UserKind::named: login.user_name = in.str8(); break;
        case LoginCase::UserKind::none: break;
    }
    login.service = pick(in, {"sshd", "sudo", "login"}, 3);
    login.remote_host = pick(in, {"192.0.2.7", "10.1.2.3", "2001:db8::1"}, 0);
    login.conversation = static_cast<LoginCase::ConversationKind>(in.u8() % 3);
    const std::uint8_t arguments = in.u8();
    login.nullok = (arguments & 1) != 0;
    login.debug = (arguments & 2) != 0;
    login.allow_uk_numbers = (arguments & 4) != 0;
    login.remember_host = (arguments & 8) != 0;
    login.config_text = in.str16();
    login.enrollment = read_enrollment(in);
    login.state = read_state(in);
    login.fence = read_fence(in);
    if (in.u8() % 2 == 1) {
        login.host_key = in.str8();
    }
    const unsigned reply_count = in.u8() % 9;
    for (unsigned i = 0; i < reply_count; ++i) {
        login.replies.push_back(read_reply(in));
    }
    const unsigned fault_count = in.u8() % 4;
    for (unsigned i = 0; i < fault_count; ++i) {
        login.faults.faults.push_back(read_fault(in));
    }
    login.clock = read_clock(in);
    return login;
}

}  // namespace otpgate::fuzz
