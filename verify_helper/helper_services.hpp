// What every request of otpgate-verify works with, and what it gives back.
#pragma once

#include <string>

#include "helper_exit.hpp"
#include "otpgate/core/login/login_session.hpp"
#include "otpgate/core/system/user_account.hpp"

namespace otpgate::verify {

struct HelperServices {
    const core::Config& config;        // failmode forced to secure, nullok off
    const core::UserAccount& account;  // the real user, never one named by the caller
    core::LoginServices& login;
};

struct HelperOutcome {
    HelperExit exit = HelperExit::internal;
    std::string message;  // for the person: a success line, or why not
};

}  // namespace otpgate::verify
