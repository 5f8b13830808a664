#include "otpgate/core/delivery/outbox_sender.hpp"

#include <cerrno>
#include <chrono>
#include <ctime>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "otpgate/core/delivery/message_template.hpp"
#include "otpgate/core/delivery/message_text.hpp"
#include "otpgate/core/system/descriptor_io.hpp"
#include "otpgate/core/system/file_lock.hpp"
#include "otpgate/core/system/unique_fd.hpp"
#include "otpgate/core/transport/json_text.hpp"

namespace otpgate::core {
namespace {

std::string iso_time(std::time_t now) {
    std::tm parts{};
    gmtime_r(&now, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return text;
}

void field(SecretString& out, std::string_view name, std::string_view value, bool first = false) {
    if (!first) {
        out.push_back(',');
    }
    out.push_back('"');
    append_text(out, name);
    append_text(out, "\":\"");
    append_json_escaped(out, value);
    out.push_back('"');
}

}  // namespace

SecretString outbox_record(const DeliveryConfig& config, const OutgoingMessage& message,
                           std::time_t now) {
    SecretString subject;
    SecretString text;
    if (message.channel == Channel::sms) {
        text = compose_sms_text(config, message);
    } else {
        EmailText email = compose_email_text(config, message);
        subject = std::move(email.subject);
        text = std::move(email.body);
    }
    SecretString out;
    out.push_back('{');
    field(out, "time", iso_time(now), true);
    field(out, "channel", channel_name(message.channel));
    field(out, "kind", message_kind_name(message.kind));
    field(out, "to", message.to);
    field(out, "user", message.user);
    field(out, "host", message.host);
    field(out, "code", message.code.view());
    append_text(out, ",\"minutes\":" + std::to_string(message.valid_minutes));
    field(out, "subject", subject.view());
    field(out, "text", text.view());
    append_text(out, "}\n");
    return out;
}

OutboxSender::OutboxSender(const DeliveryConfig& config, Channel channel,
                           std::filesystem::path outbox, Logger& logger)
    : m_config(config), m_channel(channel), m_outbox(std::move(outbox)), m_logger(logger) {}

DeliveryResult OutboxSender::send(const OutgoingMessage& message) {
    if (message.channel != m_channel) {
        return {false, "this outbox only takes " + std::string(channel_name(m_channel))};
    }
    const std::string name = m_outbox.string();
    const UniqueFd fd(
        open(m_outbox.c_str(),
             O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600));
    if (!fd.valid()) {
        const int error_number = errno;
        return {false, "cannot open outbox " + name + ": " +
                           (error_number == ELOOP ? std::string("it is a symbolic link")
                                                  : errno_text(error_number))};
    }
    struct stat info {};
    if (fstat(fd.get(), &info) != 0) {
        return {false, "cannot stat outbox " + name + ": " + errno_text(errno)};
    }
    if (!S_ISREG(info.st_mode) || info.st_nlink != 1) {
        return {false, "outbox " + name + " is not a regular file with a single link"};
    }
    if (info.st_uid != geteuid() && info.st_uid != 0) {
        return {false, "outbox " + name + " is owned by uid " + std::to_string(info.st_uid)};
    }
    if ((info.st_mode & 0027) != 0) {
        return {false, "outbox " + name + " is open to group writes or to others (it holds codes)"};
    }
    if (auto locked = lock_file(fd.get(), LockMode::exclusive,
                                std::chrono::milliseconds(m_config.timeout_ms), m_outbox);
        !locked) {
        return {false, "outbox: " + locked.error().message};
    }
    const SecretString record = outbox_record(m_config, message, std::time(nullptr));
    if (!write_all(fd.get(), record.view()) || fsync(fd.get()) != 0) {
        return {false, "cannot write outbox " + name + ": " + errno_text(errno)};
    }
    m_logger.debug(std::string(channel_name(m_channel)) + " appended to outbox " + name);
    return {true, "appended to outbox " + name};
}

}  // namespace otpgate::core
