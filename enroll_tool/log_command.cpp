// otpgate log [--user NAME] [--host NAME] [--since T] [--limit N]: the
// shared store's audit log (store = postgresql), oldest first, one event a
// line: time (UTC), host, service, user, remote host, event, outcome. Every
// field is made safe for the terminal and kept to one line.
#include <ctime>

#include "commands.hpp"
#include "output.hpp"

namespace otpgate::cli {
namespace {

std::string iso_utc(std::int64_t unix_time) {
    const auto seconds = static_cast<std::time_t>(unix_time);
    std::tm parts{};
    char text[32] = {};
    if (gmtime_r(&seconds, &parts) == nullptr ||
        std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts) == 0) {
        return "@" + std::to_string(unix_time);
    }
    return text;
}

// "-" for an empty field, so that every line has the same columns.
std::string column(std::string_view text) {
    return text.empty() ? "-" : as_field(text);
}

// "30m", "12h", "2d", "1w": that long before now.
std::optional<std::int64_t> relative_time(std::string_view text, std::int64_t now) {
    if (text.size() < 2 || text.size() > 8) {
        return std::nullopt;
    }
    std::int64_t count = 0;
    for (const char c : text.substr(0, text.size() - 1)) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        count = count * 10 + (c - '0');
    }
    switch (text.back()) {
        case 's': return now - count;
        case 'm': return now - count * 60;
        case 'h': return now - count * 3600;
        case 'd': return now - count * 86400;
        case 'w': return now - count * 7 * 86400;
        default: return std::nullopt;
    }
}

// "2026-12-06", "2026-12-06T14:00", "2026-12-06 14:00:05", an optional "Z":
// UTC, as the log prints it.
std::optional<std::int64_t> absolute_time(std::string text) {
    if (!text.empty() && (text.back() == 'Z' || text.back() == 'z')) {
        text.pop_back();
    }
    for (const char* format : {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M",
                               "%Y-%m-%d %H:%M", "%Y-%m-%d"}) {
        std::tm parts{};
        const char* end = strptime(text.c_str(), format, &parts);
        if (end != nullptr && *end == '\0') {
            return static_cast<std::int64_t>(timegm(&parts));
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> parse_log_since(const std::string& text, std::int64_t now) {
    if (auto relative = relative_time(text, now)) {
        return relative;
    }
    return absolute_time(text);
}

ExitCode show_log(const CommandContext& context, const LogOptions& options) {
    if (!context.may_use_state) {
        return report({ExitCode::not_permitted, "only root can read the audit log"});
    }
    if (context.config.store != core::StoreKind::postgresql) {
        return report({ExitCode::config,
                       "the audit log is kept only with store = postgresql (this host has store "
                       "= " +
                           std::string(core::to_string(context.config.store)) +
                           "); its logins are in the system's auth log (syslog)"});
    }
    core::AuditQuery query;
    query.user_name = options.user;
    query.host_name = options.host;
    query.limit = options.limit;
    if (options.since) {
        query.since = parse_log_since(*options.since, context.clock.now());
        if (!query.since) {
            return report(
                {ExitCode::usage, "--since: " + as_field(*options.since) +
                                      " is neither a UTC date and time (2026-12-06, "
                                      "2026-12-06T14:00:00Z) nor an age (30m, 12h, 2d, 1w)"});
        }
    }
    auto records = context.storage.audit_log(query);
    if (!records) {
        return report(storage_failure(records.error(), "the audit log"));
    }
    for (const core::AuditRecord& record : *records) {
        print(iso_utc(record.at) + " " + column(record.host_name) + " " +
              column(record.event.service) + " " + column(record.event.user_name) + " " +
              column(record.event.remote_host) + " " + column(record.event.event) + " " +
              column(record.event.outcome) + "\n");
    }
    return ExitCode::ok;
}

}  // namespace otpgate::cli
