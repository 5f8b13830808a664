// Function pointers filled from a library loaded with dlopen: libcurl
// (transport/curl_library.hpp) and libpq (database/libpq_library.hpp) are
// loaded on first use, never linked.
#pragma once

#include <string>

#include <dlfcn.h>

namespace otpgate::core {

// dlerror's text, or "unknown error".
inline std::string last_load_error() {
    const char* const text = dlerror();
    return text == nullptr ? std::string("unknown error") : std::string(text);
}

// Fills function pointers from a loaded library; remembers the first name
// the library does not have.
class SymbolResolver {
public:
    explicit SymbolResolver(void* library) : m_library(library) {}

    template <typename Function>
    void resolve(Function*& slot, const char* name) {
        void* const address = dlsym(m_library, name);
        if (address == nullptr) {
            if (m_missing.empty()) {
                m_missing = name;
            }
            return;
        }
        // POSIX guarantees that dlsym's object pointer converts to the
        // function pointer it names.
        slot = reinterpret_cast<Function*>(address);
    }

    [[nodiscard]] const std::string& missing() const noexcept { return m_missing; }

private:
    void* m_library;
    std::string m_missing;
};

}  // namespace otpgate::core
