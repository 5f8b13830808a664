// The front door: a whole login through pam_sm_authenticate, as pam-u2f's
// fuzz_auth drives its module. The module's own sources are compiled in,
// libpam is the harness's (pam_stub.hpp), and the input (login_case.hpp)
// chooses the user, PAM items, config text, the enrollment, state and
// replay fence files, the replies typed, the clock, and which allocation,
// open, read, write, sync, lock, rename, stat or close call fails and how
// (fault_injection.hpp, fake_time.hpp). Everything lives in a private
// folder (login_sandbox.hpp); codes are sent only to outbox files.
//
// Invariants, besides no crash, leak, undefined behaviour or hang (every
// lock wait ends at lock_timeout_ms, in virtual time):
//  1. PAM_SUCCESS only when a typed text is a right code the harness can
//     account for (login_oracle.hpp: an unspent TOTP step of the window of
//     a time the clock showed, an unspent backup code, a code written to
//     an outbox during the login), or failmode = safe lets an SMS or email
//     user in; never with an unusable state file, a refused enrollment or
//     a config the module reports as bad.
//  2. Only the documented PAM codes; PAM_BUF_ERR only after an injected
//     failure, PAM_SERVICE_ERR only then or for a bad config.
//  3. A usable state file (or none) is usable afterwards; spent TOTP steps
//     and backup codes stay spent; a code that passed is recorded: typed
//     again at the same time, it does not pass twice.
//  4. Without injected failures, a usable replay fence stays usable.
//  5. No file descriptor is left open (ASan sees leaked memory, not these).
#include <security/pam_modules.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "fake_time.hpp"
#include "fault_injection.hpp"
#include "fuzz_support.hpp"
#include "login_case.hpp"
#include "login_oracle.hpp"
#include "login_sandbox.hpp"
#include "login_world.hpp"
#include "otpgate/core/config/config.hpp"
#include "otpgate/core/state/replay_fence.hpp"
#include "pam_stub.hpp"
#include "scripted_conversation.hpp"

using namespace otpgate;
using namespace otpgate::fuzz;

namespace {

struct LoginRun {
    int result = PAM_SERVICE_ERR;
    StateSnapshot state_before;
    StateSnapshot state_after;
    FenceSnapshot fence_before = FenceSnapshot::absent;
    FenceSnapshot fence_after = FenceSnapshot::absent;
    ObservedTimes times;
    unsigned faults = 0;
    std::vector<std::string> typed;
    std::vector<std::string> sent_codes;
    std::vector<std::string> log;
    std::size_t descriptors_before = 0;
    std::size_t descriptors_after = 0;
};

std::size_t open_descriptors() {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/self/fd")) {
        ++count;
    }
    return count;
}

void print_run(const LoginRun& run) {
    std::fprintf(stderr, "result %d, %u injected failures, %zu replies typed\n", run.result,
                 run.faults, run.typed.size());
    for (const auto& line : run.log) {
        std::fprintf(stderr, "  log: %s\n", line.c_str());
    }
}

// Prints what the module logged, then aborts: libFuzzer keeps the input.
void check(bool holds, const char* what, const LoginRun& run) {
    if (!holds) {
        print_run(run);
        invariant_failed(__FILE__, __LINE__, what);
    }
}

// OTPGATE_FUZZ_LOGIN_VERBOSE=1 prints every login, for reading one input.
bool verbose() {
    static const bool on = std::getenv("OTPGATE_FUZZ_LOGIN_VERBOSE") != nullptr;
    return on;
}

// The config the module will read, parsed the same way beforehand: the
// oracle needs its window, failmode and validity.
struct ConfigView {
    core::Config config;
    bool valid = false;
};

ConfigView read_config(const std::vector<std::string>& arguments, const LoginCase& login) {
    const std::vector<std::string_view> views(arguments.begin(), arguments.end());
    ConfigView view;
    NullLogger logger;
    view.valid = core::load_module_config(view.config, core::split_module_arguments(views), logger,
                                          login.service.value_or(""));
    return view;
}

LoginRun run_login(const LoginCase& login, const LoginSandbox& sandbox, const LoginWorld& world,
                   const std::vector<std::string>& arguments, std::vector<Reply> replies,
                   const FaultPlan& faults, const ClockPlan& clock) {
    LoginRun run;
    run.state_before = sandbox.state_of(login.user_name);
    run.fence_before = sandbox.fence();
    const std::size_t codes_before = codes_in_outboxes(sandbox).size();

    ScriptedConversation conversation(std::move(replies), world, sandbox);
    pam_handle handle;
    if (login.user_kind != LoginCase::UserKind::none) {
        handle.user = login.user_name;
    } else {
        handle.user_error = login.clock.start % 2 == 0 ? PAM_CONV_AGAIN : PAM_SYSTEM_ERR;
    }
    handle.service = login.service;
    handle.remote_host = login.remote_host;
    switch (login.conversation) {
        case LoginCase::ConversationKind::set: handle.conversation = conversation.handle(); break;
        case LoginCase::ConversationKind::missing: break;
        case LoginCase::ConversationKind::no_function: handle.conversation = pam_conv{}; break;
    }
    std::vector<const char*> argv;
    for (const auto& argument : arguments) {
        argv.push_back(argument.c_str());
    }

    run.descriptors_before = open_descriptors();
    arm_clock(clock);
    arm_faults(faults);
    run.result = pam_sm_authenticate(&handle, 0, static_cast<int>(argv.size()), argv.data());
    run.faults = faults_fired();
    disarm_faults();
    run.times = observed_times();
    disarm_clock();
    run.descriptors_after = open_descriptors();

    run.state_after = sandbox.state_of(login.user_name);
    run.fence_after = sandbox.fence();
    run.typed = conversation.typed();
    auto codes = codes_in_outboxes(sandbox);
    run.sent_codes.assign(codes.begin() + static_cast<std::ptrdiff_t>(codes_before), codes.end());
    run.log = std::move(handle.log);
    if (verbose()) {
        print_run(run);
    }
    return run;
}

bool is_documented(int result) {
    switch (result) {
        case PAM_SUCCESS:
        case PAM_AUTH_ERR:
        case PAM_IGNORE:
        case PAM_CONV_ERR:
        case PAM_SERVICE_ERR:
        case PAM_BUF_ERR:
        case PAM_USER_UNKNOWN:
        case PAM_INCOMPLETE: return true;
        default: return false;
    }
}

// Invariants 1 to 4 for one login; the right code that let it pass, if any.
std::optional<RightCode> check_login(const LoginCase& login, const LoginWorld& world,
                                     const ConfigView& config, const SpentCodes& spent,
                                     const LoginRun& run) {
    check(is_documented(run.result), "only documented PAM codes", run);
    check(run.result != PAM_BUF_ERR || run.faults > 0, "PAM_BUF_ERR only after a failure", run);
    check(run.result != PAM_SERVICE_ERR || run.faults > 0 || !config.valid,
          "PAM_SERVICE_ERR only for a bad config or after a failure", run);
    check((run.result != PAM_USER_UNKNOWN && run.result != PAM_INCOMPLETE) ||
              login.user_kind == LoginCase::UserKind::none,
          "the user is unknown only when pam_get_user fails", run);

    check(run.descriptors_after == run.descriptors_before, "no descriptor left open", run);

    // 3: state never damaged, spent codes stay spent.
    using Kind = StateSnapshot::Kind;
    if (run.state_before.kind != Kind::unusable) {
        check(run.state_after.kind == Kind::valid ||
                  (run.state_after.kind == Kind::absent && run.state_before.kind == Kind::absent),
              "a usable state file stays usable", run);
    }
    if (run.state_before.kind == Kind::valid && run.state_after.kind == Kind::valid) {
        const auto& before = run.state_before.state;
        const auto& after = run.state_after.state;
        check(!before.last_totp_step ||
                  (after.last_totp_step && *after.last_totp_step >= *before.last_totp_step),
              "a spent TOTP step stays spent", run);
        check(before.enrollment_id != after.enrollment_id ||
                  (after.backup_used_mask & before.backup_used_mask) == before.backup_used_mask,
              "a spent backup code stays spent", run);
    }
    // 4.
    if (run.faults == 0 && run.fence_before != FenceSnapshot::damaged) {
        check(run.fence_after != FenceSnapshot::damaged,
              "without failures a usable replay fence stays usable", run);
    }
    if (run.result != PAM_SUCCESS) {
        return std::nullopt;
    }

    // 1: every success accounted for.
    check(config.valid, "no success with a config the module refuses", run);
    check(run.state_before.kind != Kind::unusable, "no success with an unusable state file", run);
    check(!world.refused, "no success with a refused enrollment", run);
    const OracleFacts facts{world,          spent,
                            run.times,      config.config.totp_window,
                            run.sent_codes, config.config.backup_code_iterations};
    // The module returns at once when a code passes: the last text typed.
    const std::optional<RightCode> passed =
        run.typed.empty() ? std::nullopt : right_code(run.typed.back(), facts);
    const bool delivered = world.enrollment && core::channel_of(world.enrollment->method);
    const bool failmode_safe = config.config.failmode == core::Config::FailMode::safe && delivered;
    check(passed || failmode_safe, "PAM_SUCCESS without a right code", run);
    if (passed && passed->kind != RightCode::Kind::sent) {
        check(run.state_after.kind == Kind::valid, "a code that passed is recorded", run);
    }
    return passed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static LoginSandbox sandbox;
    // The boot id is kept once a read succeeds (BootIdCache): read here,
    // before any failure is injected, so that injected failures land in the
    // login's own files rather than in this one read.
    static const bool boot_id_read = core::current_boot_id().ok();
    static_cast<void>(boot_id_read);
    const LoginCase login = decode_login_case(data, size);
    sandbox.reset();
    const LoginWorld world = build_login_world(login, sandbox);
    const std::vector<std::string> arguments = sandbox.module_arguments(login);
    const ConfigView config = read_config(arguments, login);

    const LoginRun first =
        run_login(login, sandbox, world, arguments, login.replies, login.faults, login.clock);
    const SpentCodes spent = spent_codes_in(first.state_before, world);
    const auto passed = check_login(login, world, config, spent, first);
    if (!passed || passed->kind == RightCode::Kind::sent) {
        return 0;  // a sent code dies with its login; a new login sends another
    }

    // 3: the code that passed, typed again at the moment it passed, with
    // nothing failing, must not pass again.
    SpentCodes spent_again = spent_codes_in(first.state_after, world);
    if (passed->kind == RightCode::Kind::totp) {
        spent_again.totp_through =
            std::max(spent_again.totp_through.value_or(passed->step), passed->step);
    } else {
        spent_again.backups |= std::uint64_t{1} << passed->backup_index;
    }
    const std::vector<Reply> same_code(8, Reply{Reply::Kind::text, first.typed.back()});
    const ClockPlan moment{first.times.latest, 0, 0};
    const LoginRun again = run_login(login, sandbox, world, arguments, same_code, {}, moment);
    const auto passed_again = check_login(login, world, config, spent_again, again);
    check(again.result != PAM_SUCCESS || passed_again, "a code passed twice", again);
    return 0;
}
