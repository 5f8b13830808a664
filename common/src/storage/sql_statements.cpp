#include "sql_statements.hpp"

#include <cctype>

namespace otpgate::core {
namespace {

bool only_blanks(std::string_view text) {
    for (const char c : text) {
        if (std::isspace(static_cast<unsigned char>(c)) == 0) {
            return false;
        }
    }
    return true;
}

// The dollar-quote tag starting at `at` ("$$", "$body$"), or empty when
// none starts there.
std::string_view dollar_tag_at(std::string_view script, std::size_t at) {
    std::size_t end = at + 1;
    while (end < script.size() &&
           (std::isalnum(static_cast<unsigned char>(script[end])) != 0 || script[end] == '_')) {
        ++end;
    }
    if (end < script.size() && script[end] == '$' &&
        (end == at + 1 || std::isdigit(static_cast<unsigned char>(script[at + 1])) == 0)) {
        return script.substr(at, end + 1 - at);
    }
    return {};
}

}  // namespace

std::vector<std::string> split_sql_statements(std::string_view script) {
    std::vector<std::string> statements;
    std::string current;
    auto finish = [&] {
        if (!only_blanks(current)) {
            statements.push_back(std::move(current));
        }
        current.clear();
    };
    std::size_t i = 0;
    while (i < script.size()) {
        const char c = script[i];
        const std::string_view rest = script.substr(i);
        std::size_t end = i + 1;  // just past what is taken now
        if (rest.starts_with("--")) {
            const std::size_t line_end = script.find('\n', i);
            i = line_end == std::string_view::npos ? script.size() : line_end;
            continue;
        }
        if (rest.starts_with("/*")) {
            const std::size_t close = script.find("*/", i + 2);
            if (close == std::string_view::npos) {
                current.append(rest);  // unterminated: the server will say so
                break;
            }
            current.push_back(' ');
            i = close + 2;
            continue;
        }
        if (c == ';') {
            finish();
            ++i;
            continue;
        }
        if (c == '\'' || c == '"') {
            // A doubled quote inside is part of the string: find() runs on.
            const std::size_t close = script.find(c, i + 1);
            end = close == std::string_view::npos ? script.size() : close + 1;
        } else if (c == '$') {
            const std::string_view tag = dollar_tag_at(script, i);
            if (!tag.empty()) {
                const std::size_t close = script.find(tag, i + tag.size());
                end = close == std::string_view::npos ? script.size() : close + tag.size();
            }
        }
        current.append(script.substr(i, end - i));
        i = end;
    }
    finish();
    return statements;
}

}  // namespace otpgate::core
