// Helpers for the delivery tests: temporary folders, the test PKI, the
// helper servers in tests/servers run as child processes, the JSON lines
// they record, and checks that no secret leaked into a result or a log.
// Nothing here computes an expected result.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include "forked_child.hpp"
#include "otpgate/core/config/config.hpp"
#include "otpgate/core/delivery/message.hpp"
#include "otpgate/core/system/logger.hpp"
#include "server_process.hpp"
#include "test_files.hpp"

namespace otpgate::test {

// Every line of a JSON-lines file; empty when the file does not exist.
std::vector<nlohmann::json> read_json_lines(const std::filesystem::path& path);

std::string base64(std::string_view bytes);
std::string base64_decode(std::string_view text);

// Certificates made by tests/servers/make_test_pki.py, once per process.
struct TestPki {
    std::filesystem::path ca;  // trusted by the client (tls_ca_file)
    std::filesystem::path server_cert;
    std::filesystem::path server_key;
    std::filesystem::path rogue_cert;  // signed by a CA nobody trusts
    std::filesystem::path rogue_key;
};
const TestPki& test_pki();

// A helper server from tests/servers, run by the test Python (see
// server_process.hpp).
std::unique_ptr<ServerProcess> start_test_server(std::string_view script,
                                                 const std::vector<std::string>& arguments);

// A port on 127.0.0.1 where nothing listens (bound, then released).
unsigned unused_port();

// Parses config text the way the module does; fails the test on any error
// or warning.
core::Config parse_test_config(const std::string& text);

// The header of a recorded gateway request, case-insensitively; "" if absent.
std::string header_value(const nlohmann::json& request, std::string_view name);
bool has_header(const nlohmann::json& request, std::string_view name);

// Fails the test if any of `secrets` occurs in the detail or in a log line.
void expect_no_secrets(const core::DeliveryResult& result, const core::CapturingLogger& logger,
                       std::initializer_list<std::string_view> secrets);

// An executable shell script at `path`.
void write_script(const std::filesystem::path& path, std::string_view body);

std::chrono::milliseconds elapsed_since(std::chrono::steady_clock::time_point start);

}  // namespace otpgate::test
