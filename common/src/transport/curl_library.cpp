#include "otpgate/core/transport/curl_library.hpp"

#include <cstdlib>
#include <string>

#include <dlfcn.h>

#include "otpgate/core/system/symbol_resolver.hpp"

namespace otpgate::core {

Result<CurlLibrary> load_curl_library(const char* soname) {
    const std::string cannot_load =
        std::string("cannot load ") + soname + " (needed to send SMS and email codes): ";
    dlerror();
    // RTLD_LOCAL: libcurl's symbols stay out of the host process's global
    // namespace, where they could shadow (or be shadowed by) another libcurl.
    // The handle is deliberately never closed; see curl_library().
    void* const library = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
        return make_error(ErrorKind::unavailable, cannot_load + last_load_error());
    }
    CurlLibrary libcurl;
    SymbolResolver symbols(library);
    symbols.resolve(libcurl.global_init, "curl_global_init");
    symbols.resolve(libcurl.easy_init, "curl_easy_init");
    symbols.resolve(libcurl.easy_cleanup, "curl_easy_cleanup");
    symbols.resolve(libcurl.easy_setopt, "curl_easy_setopt");
    symbols.resolve(libcurl.easy_perform, "curl_easy_perform");
    symbols.resolve(libcurl.easy_getinfo, "curl_easy_getinfo");
    symbols.resolve(libcurl.easy_strerror, "curl_easy_strerror");
    symbols.resolve(libcurl.slist_append, "curl_slist_append");
    symbols.resolve(libcurl.slist_free_all, "curl_slist_free_all");
    symbols.resolve(libcurl.url, "curl_url");
    symbols.resolve(libcurl.url_set, "curl_url_set");
    symbols.resolve(libcurl.url_get, "curl_url_get");
    symbols.resolve(libcurl.url_cleanup, "curl_url_cleanup");
    symbols.resolve(libcurl.url_strerror, "curl_url_strerror");
    symbols.resolve(libcurl.free, "curl_free");
    if (!symbols.missing().empty()) {
        return make_error(ErrorKind::unavailable,
                          cannot_load + "it has no " + symbols.missing() + " (libcurl too old?)");
    }
    const CURLcode init = libcurl.global_init(CURL_GLOBAL_DEFAULT);
    if (init != CURLE_OK) {
        return make_error(ErrorKind::unavailable,
                          std::string("cannot initialise libcurl: ") + libcurl.easy_strerror(init));
    }
    return libcurl;
}

Result<const CurlLibrary*> curl_library() {
    if (std::getenv("SSLKEYLOGFILE") != nullptr) {
        return make_error(ErrorKind::unavailable,
                          "the environment variable SSLKEYLOGFILE is set: refusing to start "
                          "libcurl, which would write TLS session keys to that file");
    }
    // A function-local static is initialised exactly once, thread-safely,
    // like std::call_once, but without the thread-local storage call_once
    // uses (which would make the module depend on ld-linux for
    // __tls_get_addr). curl_global_cleanup is never called and the library
    // never unloaded: the module may be unloaded while the host process
    // still uses libcurl, and libcurl (with the TLS library it initialised)
    // cannot be unloaded safely.
    static const Result<CurlLibrary> loaded = load_curl_library(libcurl_soname);
    if (!loaded) {
        return loaded.error();
    }
    return &loaded.value();
}

}  // namespace otpgate::core
