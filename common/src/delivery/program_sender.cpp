#include "otpgate/core/delivery/program_sender.hpp"

#include <chrono>
#include <ctime>
#include <filesystem>

#include "otpgate/core/delivery/message_template.hpp"
#include "otpgate/core/delivery/message_text.hpp"
#include "otpgate/core/primitives/random.hpp"
#include "otpgate/core/system/child_process.hpp"

namespace otpgate::core {

std::vector<std::string> split_command(std::string_view text, std::string& problem) {
    std::vector<std::string> words;
    std::string current;
    for (const char c : text) {
        if (c == ' ' || c == '\t') {
            if (!current.empty()) {
                words.push_back(std::move(current));
                current.clear();
            }
        } else {
            current.push_back(c);
        }
    }
    if (!current.empty()) {
        words.push_back(std::move(current));
    }
    if (words.empty() || words.front().front() != '/') {
        problem = "expected an absolute program path, then fixed arguments separated by spaces";
        return {};
    }
    return words;
}

ProgramSender::ProgramSender(const DeliveryConfig& config, Channel channel, Style style,
                             std::vector<std::string> argv_prefix, Logger& logger)
    : m_config(config),
      m_channel(channel),
      m_style(style),
      m_argv_prefix(std::move(argv_prefix)),
      m_from(config.email_from.empty() ? std::nullopt : parse_mail_address(config.email_from)),
      m_logger(logger) {}

DeliveryResult ProgramSender::send(const OutgoingMessage& message) {
    if (message.channel != m_channel) {
        return {false, "this backend only sends " + std::string(channel_name(m_channel))};
    }
    // A destination starting with '-' could pass for an option: "--" guards
    // sendmail, but a command may not know "--".
    if (message.to.empty() || (m_style == Style::command && message.to.front() == '-')) {
        return {false, "refusing a destination that starts with '-'"};
    }
    SecretString input;
    if (m_channel == Channel::sms) {
        input = compose_sms_text(m_config, message);
        input.push_back('\n');
    } else {
        const EmailText text = compose_email_text(m_config, message);
        OpenSslRandom random;
        auto email = format_email({m_from, message.to, text.subject.view(), text.body.view()},
                                  std::time(nullptr), random, LineEnding::lf);
        if (!email) {
            return {false, "cannot build the email: " + email.error().message};
        }
        input = std::move(email.value());
    }
    std::vector<std::string> argv = m_argv_prefix;
    if (m_style == Style::sendmail) {
        argv.emplace_back("-i");
        argv.emplace_back("--");
    }
    argv.push_back(message.to);

    const std::chrono::milliseconds timeout(m_config.timeout_ms);
    const ChildOutcome outcome = run_with_input(argv, input.view(), timeout);
    const std::string name = std::filesystem::path(argv.front()).filename().string();
    DeliveryResult result;
    if (outcome.kind == ChildOutcome::Kind::exited && outcome.exit_status == 0) {
        result = {true, name + " accepted the message"};
    } else if (outcome.kind == ChildOutcome::Kind::spawn_failed) {
        result = {false, describe_child_outcome(outcome, timeout)};
    } else {
        result = {false, name + " " + describe_child_outcome(outcome, timeout)};
    }
    m_logger.debug(std::string(channel_name(m_channel)) + " via " + argv.front() + ": " +
                   result.detail + " after " + std::to_string(outcome.elapsed.count()) + " ms");
    return result;
}

}  // namespace otpgate::core
