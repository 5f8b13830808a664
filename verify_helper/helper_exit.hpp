// Exit codes of otpgate-verify. The same numbers as the otpgate command's
// (enroll_tool/exit_code.hpp), which passes them on to its own caller.
#pragma once

namespace otpgate::verify {

enum class HelperExit : int {
    ok = 0,
    not_verified = 1,   // a wrong code, or none
    usage = 2,          // bad arguments or destination
    not_enrolled = 3,   // nothing to prove
    not_permitted = 4,  // a refused file, or not installed as it must be
    config = 5,
    storage = 6,
    not_delivered = 7,  // the provider failed, or the send limit was reached
    internal = 70,
};

}  // namespace otpgate::verify
