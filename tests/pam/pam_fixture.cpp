#include "pam_fixture.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

namespace otpgate::pam_tests {
namespace {

bool all_digits(const std::string& text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

void PamTest::SetUp() {
    // Without the preloaded pam_wrapper, pam_start would read /etc/pam.d.
    ASSERT_TRUE(pam_wrapper_active())
        << "pam_wrapper is not preloaded (run through ctest): refusing to use the real PAM stack";
    m_sandbox = std::make_unique<Sandbox>();
    ASSERT_TRUE(nss_wrapper_active()) << "nss_wrapper is not preloaded";
    ASSERT_EQ(std::time(nullptr), base_time) << "libfaketime is not preloaded";
    m_sandbox->write_config();
}

KnownEnrollment PamTest::enroll(const std::string& user, core::TotpParameters params,
                                unsigned backup_codes) {
    KnownEnrollment known = m_sandbox->enroll(user, params, backup_codes);
    m_secrets.push_back(known.secret_base32);
    m_secrets.push_back(known.secret_hex);
    for (const auto& code : known.backup_codes) {
        m_secrets.push_back(code);
    }
    return known;
}

std::string PamTest::code_at(const KnownEnrollment& enrollment, std::int64_t steps) {
    const std::int64_t period = enrollment.enrollment.totp.period;
    return oath_totp(enrollment, m_sandbox->time() + steps * period);
}

std::string PamTest::wrong_code(const KnownEnrollment& enrollment, unsigned window) {
    std::vector<std::string> valid;
    const auto reach = static_cast<std::int64_t>(window);
    for (std::int64_t step = -reach; step <= reach; ++step) {
        valid.push_back(code_at(enrollment, step));
    }
    for (std::int64_t far = 1000;; ++far) {
        const std::string candidate = code_at(enrollment, far);
        if (std::find(valid.begin(), valid.end(), candidate) == valid.end()) {
            return candidate;
        }
    }
}

void PamTest::advance_steps(std::int64_t steps) {
    m_sandbox->set_time(m_sandbox->time() + steps * 30);
}

void PamTest::remember(const std::vector<std::string>& answers) {
    for (const auto& answer : answers) {
        std::string digits;
        for (const char c : answer) {
            if (c >= '0' && c <= '9') {
                digits.push_back(c);
            }
        }
        // Short or non-numeric answers could match a path or a number by chance.
        if (digits.size() >= 6) {
            m_secrets.push_back(digits);
            if (answer != digits) {
                m_secrets.push_back(answer);
            }
        }
    }
}

LoginResult PamTest::login(const std::string& user, std::vector<std::string> answers,
                           const std::string& service) {
    LoginRequest request;
    request.service = service;
    request.user = user;
    request.answers = std::move(answers);
    return login(request);
}

LoginResult PamTest::login(const LoginRequest& request) {
    remember(request.answers);
    LoginResult result = run_login(request);
    EXPECT_EQ(result.failure, "") << result.describe();
    EXPECT_EQ(result.start_rc, 0) << result.describe();
    expect_no_secrets(result);
    return result;
}

std::vector<LoginResult> PamTest::login_together(const std::vector<LoginRequest>& requests) {
    for (const auto& request : requests) {
        remember(request.answers);
    }
    std::vector<LoginResult> results = run_logins_together(requests);
    for (const auto& result : results) {
        EXPECT_EQ(result.failure, "") << result.describe();
        expect_no_secrets(result);
    }
    return results;
}

void PamTest::expect_no_secrets(const LoginResult& result) const {
    const std::string printed = result.printed_text();
    for (const auto& secret : m_secrets) {
        EXPECT_EQ(printed.find(secret), std::string::npos)
            << "the login printed the secret or code '" << secret << "':\n"
            << result.describe();
        if (!all_digits(secret)) {
            // Base32 and hex secrets: in any letter case.
            std::string lower = secret;
            std::string upper = secret;
            for (auto& c : lower) {
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
            for (auto& c : upper) {
                c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            }
            EXPECT_EQ(printed.find(lower), std::string::npos) << result.describe();
            EXPECT_EQ(printed.find(upper), std::string::npos) << result.describe();
        }
    }
}

}  // namespace otpgate::pam_tests
