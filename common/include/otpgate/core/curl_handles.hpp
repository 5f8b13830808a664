// Owners for libcurl handles, and the one place libcurl is initialised.
#pragma once

#include <memory>
#include <new>
#include <string>

#include <curl/curl.h>

#include "otpgate/core/result.hpp"

namespace otpgate::core {

struct CurlEasyDeleter {
    void operator()(CURL* handle) const noexcept { curl_easy_cleanup(handle); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
    void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

struct CurlUrlDeleter {
    void operator()(CURLU* url) const noexcept { curl_url_cleanup(url); }
};
using CurlUrl = std::unique_ptr<CURLU, CurlUrlDeleter>;

struct CurlStringDeleter {
    void operator()(char* text) const noexcept { curl_free(text); }
};
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

// Appends a copy of `item`; the list is unchanged and bad_alloc thrown if
// libcurl cannot allocate.
inline void slist_append(CurlSlist& list, const std::string& item) {
    curl_slist* head = curl_slist_append(list.get(), item.c_str());
    if (head == nullptr) {
        throw std::bad_alloc();
    }
    static_cast<void>(list.release());
    list.reset(head);
}

// curl_global_init exactly once per process (a thread-safe function-local
// static; libcurl 7.84 and later also make global init thread-safe
// themselves). curl_global_cleanup is never called: the module may be
// unloaded while the host process still uses libcurl.
//
// Refuses while SSLKEYLOGFILE is set: libcurl's global init opens that path
// for appending and writes TLS session keys to it, which in a setuid caller
// (su, sudo) would let the invoking user create root-owned files anywhere
// and read the keys of the provider connection.
Result<void> ensure_curl_ready();

}  // namespace otpgate::core
