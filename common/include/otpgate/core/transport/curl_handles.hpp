// Owners for libcurl handles. Each deleter holds the loaded library that
// made its handle (curl_library.hpp); a handle exists only once libcurl is
// loaded, and libcurl is never unloaded.
#pragma once

#include <memory>
#include <new>
#include <string>

#include <curl/curl.h>

#include "otpgate/core/transport/curl_library.hpp"

namespace otpgate::core {

struct CurlEasyDeleter {
    const CurlLibrary* libcurl = nullptr;
    void operator()(CURL* handle) const noexcept { libcurl->easy_cleanup(handle); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
    const CurlLibrary* libcurl = nullptr;
    void operator()(curl_slist* list) const noexcept { libcurl->slist_free_all(list); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

struct CurlUrlDeleter {
    const CurlLibrary* libcurl = nullptr;
    void operator()(CURLU* url) const noexcept { libcurl->url_cleanup(url); }
};
using CurlUrl = std::unique_ptr<CURLU, CurlUrlDeleter>;

struct CurlStringDeleter {
    const CurlLibrary* libcurl = nullptr;
    void operator()(char* text) const noexcept { libcurl->free(text); }
};
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

// A new easy handle; bad_alloc thrown if libcurl cannot make one.
inline CurlEasy make_curl_easy(const CurlLibrary& libcurl) {
    CurlEasy handle(libcurl.easy_init(), CurlEasyDeleter{&libcurl});
    if (!handle) {
        throw std::bad_alloc();
    }
    return handle;
}

// A new URL handle; bad_alloc thrown if libcurl cannot make one.
inline CurlUrl make_curl_url(const CurlLibrary& libcurl) {
    CurlUrl handle(libcurl.url(), CurlUrlDeleter{&libcurl});
    if (!handle) {
        throw std::bad_alloc();
    }
    return handle;
}

// Appends a copy of `item` (an empty CurlSlist starts a list); the list is
// unchanged and bad_alloc thrown if libcurl cannot allocate.
inline void slist_append(const CurlLibrary& libcurl, CurlSlist& list, const std::string& item) {
    curl_slist* head = libcurl.slist_append(list.get(), item.c_str());
    if (head == nullptr) {
        throw std::bad_alloc();
    }
    static_cast<void>(list.release());
    list = CurlSlist(head, CurlSlistDeleter{&libcurl});
}

}  // namespace otpgate::core
