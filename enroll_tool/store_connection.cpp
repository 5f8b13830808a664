#include "store_connection.hpp"

#include <algorithm>
#include <memory>

namespace otpgate::cli {
namespace {

using ParsedOptions = std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)>;

// The connection string's options as libpq parses them, or its message.
std::variant<ParsedOptions, Failure> parse_url(const core::LibpqLibrary& libpq,
                                               const std::string& url) {
    char* message = nullptr;
    PQconninfoOption* options = libpq.conninfo_parse(url.c_str(), &message);
    if (options == nullptr) {
        std::string reason = message != nullptr ? message : "out of memory";
        if (message != nullptr) {
            libpq.freemem(message);
        }
        while (!reason.empty() && reason.back() == '\n') {
            reason.pop_back();
        }
        return Failure{ExitCode::config, "store_url: " + reason};
    }
    // A stateless deleter: the library's conninfo_free, reached through
    // the one loaded library.
    return ParsedOptions(options, [](PQconninfoOption* parsed) {
        if (auto loaded = core::libpq_library()) {
            (*loaded)->conninfo_free(parsed);
        }
    });
}

// A value as a key=value connection string quotes it.
std::string conninfo_value(std::string_view value) {
    std::string text = "'";
    for (const char c : value) {
        if (c == '\'' || c == '\\') {
            text.push_back('\\');
        }
        text.push_back(c);
    }
    return text + "'";
}

}  // namespace

std::chrono::milliseconds command_timeout(const core::Config& config) {
    return std::max(config.database.timeout, std::chrono::milliseconds(10000));
}

std::variant<const core::LibpqLibrary*, Failure> libpq_for(const core::Config& config) {
    if (config.database.url.empty()) {
        return Failure{ExitCode::config,
                       "store_url is not set in the configuration: it names the PostgreSQL "
                       "database of the shared store (see otpgate.conf(5))"};
    }
    auto libpq = core::libpq_library();
    if (!libpq) {
        return Failure{ExitCode::storage, libpq.error().message};
    }
    return *libpq;
}

std::variant<std::string, Failure> url_as_role(const core::LibpqLibrary& libpq,
                                               const std::string& url, const std::string& role) {
    auto parsed = parse_url(libpq, url);
    if (auto* failure = std::get_if<Failure>(&parsed)) {
        return *failure;
    }
    std::string text = "user=" + conninfo_value(role);
    for (const PQconninfoOption* option = std::get<ParsedOptions>(parsed).get();
         option->keyword != nullptr; ++option) {
        const std::string_view keyword = option->keyword;
        if (option->val == nullptr || keyword == "user") {
            continue;
        }
        text += " " + std::string(keyword) + "=" + conninfo_value(option->val);
    }
    return text;
}

std::optional<std::string> url_value(const core::LibpqLibrary& libpq, const std::string& url,
                                     std::string_view keyword) {
    auto parsed = parse_url(libpq, url);
    if (std::holds_alternative<Failure>(parsed)) {
        return std::nullopt;
    }
    for (const PQconninfoOption* option = std::get<ParsedOptions>(parsed).get();
         option->keyword != nullptr; ++option) {
        if (std::string_view(option->keyword) == keyword && option->val != nullptr &&
            option->val[0] != '\0') {
            return std::string(option->val);
        }
    }
    return std::nullopt;
}

std::optional<std::string> url_user(const core::LibpqLibrary& libpq, const std::string& url) {
    return url_value(libpq, url, "user");
}

std::variant<core::Credentials, Failure> store_credentials(const core::Config& config) {
    auto credentials = core::load_credentials(config.delivery.credentials_file);
    if (!credentials) {
        return Failure{ExitCode::config, credentials.error().message};
    }
    return std::move(credentials.value());
}

}  // namespace otpgate::cli
