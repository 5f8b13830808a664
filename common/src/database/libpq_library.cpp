#include "otpgate/core/database/libpq_library.hpp"

#include <cstdlib>
#include <string>

#include <dlfcn.h>

#include "otpgate/core/system/symbol_resolver.hpp"

namespace otpgate::core {

Result<LibpqLibrary> load_libpq_library(const char* soname) {
    const std::string cannot_load =
        std::string("cannot load ") + soname + " (needed by store = postgresql): ";
    const std::string hint = " (install the libpq5 package)";
    dlerror();
    // RTLD_LOCAL: libpq's symbols (and those of the libraries it pulls in)
    // stay out of the host process's global namespace, where they could
    // shadow or be shadowed by another copy. Never closed; see libpq_library().
    void* const library = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
        return make_error(ErrorKind::unavailable, cannot_load + last_load_error() + hint);
    }
    LibpqLibrary libpq;
    SymbolResolver symbols(library);
    symbols.resolve(libpq.connect_start_params, "PQconnectStartParams");
    symbols.resolve(libpq.connect_poll, "PQconnectPoll");
    symbols.resolve(libpq.finish, "PQfinish");
    symbols.resolve(libpq.status, "PQstatus");
    symbols.resolve(libpq.transaction_status, "PQtransactionStatus");
    symbols.resolve(libpq.error_message, "PQerrorMessage");
    symbols.resolve(libpq.socket, "PQsocket");
    symbols.resolve(libpq.set_nonblocking, "PQsetnonblocking");
    symbols.resolve(libpq.send_query_params, "PQsendQueryParams");
    symbols.resolve(libpq.flush, "PQflush");
    symbols.resolve(libpq.consume_input, "PQconsumeInput");
    symbols.resolve(libpq.is_busy, "PQisBusy");
    symbols.resolve(libpq.get_result, "PQgetResult");
    symbols.resolve(libpq.result_status, "PQresultStatus");
    symbols.resolve(libpq.result_error_field, "PQresultErrorField");
    symbols.resolve(libpq.result_error_message, "PQresultErrorMessage");
    symbols.resolve(libpq.ntuples, "PQntuples");
    symbols.resolve(libpq.nfields, "PQnfields");
    symbols.resolve(libpq.get_value, "PQgetvalue");
    symbols.resolve(libpq.get_length, "PQgetlength");
    symbols.resolve(libpq.get_is_null, "PQgetisnull");
    symbols.resolve(libpq.cmd_tuples, "PQcmdTuples");
    symbols.resolve(libpq.clear, "PQclear");
    symbols.resolve(libpq.conninfo_parse, "PQconninfoParse");
    symbols.resolve(libpq.conninfo_free, "PQconninfoFree");
    symbols.resolve(libpq.freemem, "PQfreemem");
    symbols.resolve(libpq.set_notice_receiver, "PQsetNoticeReceiver");
    symbols.resolve(libpq.server_version, "PQserverVersion");
    symbols.resolve(libpq.ssl_in_use, "PQsslInUse");
    symbols.resolve(libpq.ssl_attribute, "PQsslAttribute");
    symbols.resolve(libpq.host, "PQhost");
    symbols.resolve(libpq.hostaddr, "PQhostaddr");
    symbols.resolve(libpq.port, "PQport");
    symbols.resolve(libpq.library_version, "PQlibVersion");
    symbols.resolve(libpq.enter_pipeline_mode, "PQenterPipelineMode");
    symbols.resolve(libpq.exit_pipeline_mode, "PQexitPipelineMode");
    symbols.resolve(libpq.pipeline_sync, "PQpipelineSync");
    if (!symbols.missing().empty()) {
        return make_error(ErrorKind::unavailable,
                          cannot_load + "it has no " + symbols.missing() + " (libpq too old?)");
    }
    return libpq;
}

Result<const LibpqLibrary*> libpq_library() {
    // libpq reads its message catalogue from PGLOCALEDIR: in su, sudo or
    // otpgate-verify that is the caller's choice, and a crafted catalogue
    // supplies the format strings of libpq's error messages.
    if (const char* const locale_dir = std::getenv("PGLOCALEDIR");
        locale_dir != nullptr && *locale_dir != '\0') {
        return make_error(ErrorKind::unavailable,
                          "the environment variable PGLOCALEDIR is set: refusing to start libpq, "
                          "which would read its message translations from there");
    }
    // Once per process, thread-safely, without call_once's thread-local
    // storage (see curl_library()). Never unloaded: libpq initialised
    // OpenSSL, which the host process may still use after our module is gone.
    static const Result<LibpqLibrary> loaded = load_libpq_library(libpq_soname);
    if (!loaded) {
        return loaded.error();
    }
    return &loaded.value();
}

}  // namespace otpgate::core
