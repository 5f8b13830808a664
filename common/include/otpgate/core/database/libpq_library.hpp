// libpq, loaded when `store = postgresql` first needs the database rather
// than linked: hosts with `store = files` or `local` never map it (nor the
// Kerberos, LDAP and TLS libraries it pulls in). The libpq headers still
// provide the types; the ABI is that of libpq_soname.
#pragma once

#include <libpq-fe.h>

#include "otpgate/core/primitives/result.hpp"

namespace otpgate::core {

inline constexpr const char* libpq_soname = "libpq.so.5";

// The libpq functions otpgate calls, each resolved from the loaded library.
struct LibpqLibrary {
    PGconn* (*connect_start_params)(const char* const* keywords, const char* const* values,
                                    int expand_dbname) = nullptr;
    PostgresPollingStatusType (*connect_poll)(PGconn* connection) = nullptr;
    void (*finish)(PGconn* connection) = nullptr;
    ConnStatusType (*status)(const PGconn* connection) = nullptr;
    PGTransactionStatusType (*transaction_status)(const PGconn* connection) = nullptr;
    char* (*error_message)(const PGconn* connection) = nullptr;
    int (*socket)(const PGconn* connection) = nullptr;
    int (*set_nonblocking)(PGconn* connection, int arg) = nullptr;
    int (*send_query_params)(PGconn* connection, const char* command, int n_params,
                             const Oid* param_types, const char* const* param_values,
                             const int* param_lengths, const int* param_formats,
                             int result_format) = nullptr;
    int (*flush)(PGconn* connection) = nullptr;
    int (*consume_input)(PGconn* connection) = nullptr;
    int (*is_busy)(PGconn* connection) = nullptr;
    PGresult* (*get_result)(PGconn* connection) = nullptr;
    ExecStatusType (*result_status)(const PGresult* result) = nullptr;
    char* (*result_error_field)(const PGresult* result, int field_code) = nullptr;
    char* (*result_error_message)(const PGresult* result) = nullptr;
    int (*ntuples)(const PGresult* result) = nullptr;
    int (*nfields)(const PGresult* result) = nullptr;
    char* (*get_value)(const PGresult* result, int row, int column) = nullptr;
    int (*get_length)(const PGresult* result, int row, int column) = nullptr;
    int (*get_is_null)(const PGresult* result, int row, int column) = nullptr;
    char* (*cmd_tuples)(PGresult* result) = nullptr;
    void (*clear)(PGresult* result) = nullptr;
    PQconninfoOption* (*conninfo_parse)(const char* conninfo, char** errmsg) = nullptr;
    void (*conninfo_free)(PQconninfoOption* options) = nullptr;
    void (*freemem)(void* pointer) = nullptr;
    PQnoticeReceiver (*set_notice_receiver)(PGconn* connection, PQnoticeReceiver receiver,
                                            void* argument) = nullptr;
    int (*server_version)(const PGconn* connection) = nullptr;
    int (*ssl_in_use)(PGconn* connection) = nullptr;
    const char* (*ssl_attribute)(PGconn* connection, const char* attribute_name) = nullptr;
    char* (*host)(const PGconn* connection) = nullptr;
    char* (*hostaddr)(const PGconn* connection) = nullptr;
    char* (*port)(const PGconn* connection) = nullptr;
    int (*library_version)() = nullptr;
    // Pipeline mode (libpq 14 and later): several statements, one round trip.
    int (*enter_pipeline_mode)(PGconn* connection) = nullptr;
    int (*exit_pipeline_mode)(PGconn* connection) = nullptr;
    int (*pipeline_sync)(PGconn* connection) = nullptr;
};

// libpq_soname, loaded once per process (a function-local static, so
// thread-safe) and never unloaded: the host process may outlive our module
// while OpenSSL, which libpq initialised, is still in use. A failure to
// load is remembered too: "cannot load libpq.so.5 (needed by store =
// postgresql): ..." (install the libpq5 package). Refused, checked at
// every call, while PGLOCALEDIR is set: libpq would take the format strings
// of its messages from a catalogue in that folder, the caller's choice in
// su, sudo and otpgate-verify.
Result<const LibpqLibrary*> libpq_library();

// One load of `soname`, uncached: what libpq_library() does once. A
// parameter so that tests can name a library that does not exist.
Result<LibpqLibrary> load_libpq_library(const char* soname);

}  // namespace otpgate::core
