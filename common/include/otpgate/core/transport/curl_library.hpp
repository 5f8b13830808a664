// libcurl, loaded when a message is first sent rather than linked.
//
// Linked, libcurl and the ~35 libraries it needs were mapped into every
// process that loads pam_otpgate.so (each sshd connection, su, sudo),
// whether or not anyone there ever receives an SMS or email code; loading
// alone cost ~4.7 ms. Only the delivery layer calls libcurl, and only
// through the function pointers below. The curl headers still provide the
// types and constants; the ABI is that of libcurl_soname.
#pragma once

#include <curl/curl.h>

#include "otpgate/core/primitives/result.hpp"

namespace otpgate::core {

// The ABI the headers describe (libcurl4 on Debian: OpenSSL flavour).
inline constexpr const char* libcurl_soname = "libcurl.so.4";

// The libcurl functions otpgate calls, each resolved from the loaded
// library. setopt and getinfo are variadic in C, and stay so here.
struct CurlLibrary {
    CURLcode (*global_init)(long flags) = nullptr;
    CURL* (*easy_init)() = nullptr;
    void (*easy_cleanup)(CURL* handle) = nullptr;
    CURLcode (*easy_setopt)(CURL* handle, CURLoption option, ...) = nullptr;
    CURLcode (*easy_perform)(CURL* handle) = nullptr;
    CURLcode (*easy_getinfo)(CURL* handle, CURLINFO info, ...) = nullptr;
    const char* (*easy_strerror)(CURLcode code) = nullptr;
    curl_slist* (*slist_append)(curl_slist* list, const char* item) = nullptr;
    void (*slist_free_all)(curl_slist* list) = nullptr;
    CURLU* (*url)() = nullptr;
    CURLUcode (*url_set)(CURLU* url, CURLUPart part, const char* text, unsigned flags) = nullptr;
    CURLUcode (*url_get)(const CURLU* url, CURLUPart part, char** text, unsigned flags) = nullptr;
    void (*url_cleanup)(CURLU* url) = nullptr;
    const char* (*url_strerror)(CURLUcode code) = nullptr;
    void (*free)(void* pointer) = nullptr;
};

// libcurl_soname, loaded and globally initialised once per process (a
// function-local static, so thread-safe) and never unloaded: libcurl cannot
// be unloaded safely once initialised, and the host process may outlive our
// module. A failure to load is remembered too. An error when libcurl is
// missing ("cannot load libcurl.so.4 (needed to send SMS and email codes):
// ..."), and, checked at every call, while SSLKEYLOGFILE is set: libcurl's
// global init opens that path for appending and writes TLS session keys to
// it, which in a setuid caller (su, sudo) would let the invoking user create
// root-owned files anywhere and read the keys of the provider connection.
Result<const CurlLibrary*> curl_library();

// One load of `soname`, uncached: what curl_library() does once. A
// parameter so that tests can name a library that does not exist.
Result<CurlLibrary> load_curl_library(const char* soname);

}  // namespace otpgate::core
