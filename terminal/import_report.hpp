// What `otpgate import google-authenticator` reports once the file became
// the user's enrollment: printed by the command, or by otpgate-verify when
// it imports for an ordinary user (store = local).
#pragma once

#include <optional>
#include <string>

#include "otpgate/core/enrollment/google_authenticator_import.hpp"
#include "otpgate/core/primitives/result.hpp"

namespace otpgate::cli {

// What to add to the refusal of a google-authenticator file that could not
// be read: for one open to others, how to go on; otherwise nothing.
std::string unreadable_file_advice(const core::Error& error);

// `target`: where the enrollment is kept, if worth showing. `by_root`: the
// note that changing the PAM stack takes root is left out.
void print_import_report(const std::string& source, const std::string& user,
                         const std::optional<std::string>& target,
                         const core::GoogleAuthenticatorImport& imported, bool by_root);

}  // namespace otpgate::cli
