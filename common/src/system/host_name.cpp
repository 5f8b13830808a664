#include "otpgate/core/system/host_name.hpp"

#include <unistd.h>
#include <climits>

#include "otpgate/core/system/safe_text.hpp"

namespace otpgate::core {

std::string host_name() {
    char name[HOST_NAME_MAX + 1] = {};
    if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') {
        return "otpgate";
    }
    return one_line(name, 64);
}

}  // namespace otpgate::core
