#include "login_cycle.hpp"

#include <dlfcn.h>
#include <security/pam_appl.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "scripted_conversation.hpp"
#include "totp_code.hpp"

namespace otpgate::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string typed(const Typing& typing) {
    if (typing.secret == nullptr) {
        return typing.fixed;
    }
    return totp_code(*typing.secret, typing.step);
}

// The "user": types at every prompt, keeps no transcript.
test::ScriptedConversation typist(const Typing& typing) {
    return test::ScriptedConversation([&typing] { return typed(typing); });
}

// libpam calls this instead of sleeping after a failure: a module's fail
// delay (ours is also set to 0 in the service file) would otherwise be
// what the wrong-code rows measure.
void no_fail_delay(int, unsigned, void*) {}

pam_handle_t* start(const LoginRequest& request, pam_conv& conv, int& rc) {
    pam_handle_t* pamh = nullptr;
    rc = pam_start_confdir(request.service.c_str(), request.user.c_str(), &conv,
                           request.confdir.c_str(), &pamh);
    if (rc == PAM_SUCCESS) {
        void (*delay)(int, unsigned, void*) = no_fail_delay;
        const void* item = nullptr;
        std::memcpy(&item, &delay, sizeof item);
        pam_set_item(pamh, PAM_FAIL_DELAY, item);
    }
    return pamh;
}

}  // namespace

LoginResult run_login(const LoginRequest& request) {
    LoginResult result;
    test::ScriptedConversation conversation = typist(request.typing);
    pam_conv conv = conversation.conv();
    timespec cpu_begin{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_begin);
    const auto begin = Clock::now();
    pam_handle_t* pamh = start(request, conv, result.start_rc);
    if (result.start_rc == PAM_SUCCESS) {
        result.auth_rc = pam_authenticate(pamh, 0);
        pam_end(pamh, result.auth_rc);
    } else {
        result.auth_rc = result.start_rc;
    }
    const auto end = Clock::now();
    timespec cpu_end{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_end);
    result.micros = std::chrono::duration<double, std::micro>(end - begin).count();
    result.cpu_micros = static_cast<double>(cpu_end.tv_sec - cpu_begin.tv_sec) * 1e6 +
                        static_cast<double>(cpu_end.tv_nsec - cpu_begin.tv_nsec) / 1e3;
    result.prompts = conversation.prompts();
    return result;
}

struct PendingLogin::State {
    explicit State(const LoginRequest& login)
        : request(login), conversation(typist(request.typing)), conv(conversation.conv()) {}
    State(const State&) = delete;
    State& operator=(const State&) = delete;

    LoginRequest request;
    test::ScriptedConversation conversation;
    pam_conv conv;
};

PendingLogin::PendingLogin(const LoginRequest& request)
    : m_state(std::make_unique<State>(request)) {
    int rc = 0;
    m_handle = start(m_state->request, m_state->conv, rc);
    if (rc != PAM_SUCCESS) {
        m_handle = nullptr;
    }
}

PendingLogin::~PendingLogin() {
    if (m_handle != nullptr) {
        pam_end(static_cast<pam_handle_t*>(m_handle), PAM_ABORT);
    }
}

int PendingLogin::authenticate() {
    auto* pamh = static_cast<pam_handle_t*>(m_handle);
    if (pamh == nullptr) {
        return PAM_SYSTEM_ERR;
    }
    const int rc = pam_authenticate(pamh, 0);
    pam_end(pamh, rc);
    m_handle = nullptr;
    return rc;
}

ModuleHold::ModuleHold(const std::string& path) : m_handle(dlopen(path.c_str(), RTLD_NOW)) {
    if (m_handle == nullptr) {
        throw std::runtime_error("cannot load " + path + ": " + dlerror());
    }
}

ModuleHold::~ModuleHold() {
    dlclose(m_handle);
}

double module_load_micros(const std::string& path, int repeats) {
    std::vector<double> times;
    for (int i = 0; i < repeats; ++i) {
        const auto begin = Clock::now();
        void* handle = dlopen(path.c_str(), RTLD_NOW);
        if (handle == nullptr) {
            throw std::runtime_error("cannot load " + path + ": " + dlerror());
        }
        dlclose(handle);
        times.push_back(std::chrono::duration<double, std::micro>(Clock::now() - begin).count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

}  // namespace otpgate::bench
