// Expected outcomes are values, not exceptions (CONTRIBUTING.md, "Errors").
// Error carries a category the callers branch on and a message for humans.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace otpgate::core {

enum class ErrorKind {
    not_found,      // the file or user does not exist
    unsafe,         // refused: wrong owner, mode, symlink, not a regular file
    corrupt,        // present but not parseable
    io,             // a read, write or sync failed (disk full, read-only, ...)
    invalid_input,  // bad value given by a person or a config file
    unavailable,    // a resource we depend on is missing or busy
    conflict,       // a record changed since it was read: read it again and retry
};

struct Error {
    ErrorKind kind;
    std::string message;
};

// A small stand-in for C++23 std::expected.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_value(std::move(value)) {}
    Result(Error error) : m_value(std::move(error)) {}

    [[nodiscard]] bool ok() const noexcept { return std::holds_alternative<T>(m_value); }
    explicit operator bool() const noexcept { return ok(); }
    T& value() & { return std::get<T>(m_value); }
    const T& value() const& { return std::get<T>(m_value); }
    T&& value() && { return std::get<T>(std::move(m_value)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    const Error& error() const { return std::get<Error>(m_value); }

private:
    std::variant<T, Error> m_value;
};

struct Unit {};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)), m_failed(true) {}
    [[nodiscard]] bool ok() const noexcept { return !m_failed; }
    explicit operator bool() const noexcept { return ok(); }
    const Error& error() const { return m_error; }

private:
    Error m_error{ErrorKind::io, {}};
    bool m_failed = false;
};

inline Error make_error(ErrorKind kind, std::string message) {
    return Error{kind, std::move(message)};
}

}  // namespace otpgate::core
