#include "delivery_test_support.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace otpgate::test {
namespace {

std::string errno_message(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

int wait_for(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

}  // namespace

std::vector<nlohmann::json> read_json_lines(const std::filesystem::path& path) {
    std::vector<nlohmann::json> lines;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) {
            lines.push_back(nlohmann::json::parse(line));
        }
    }
    return lines;
}

std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                        reinterpret_cast<const unsigned char*>(bytes.data()),
                                        static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(written));
    return out;
}

std::string base64_decode(std::string_view text) {
    std::string out(3 * (text.size() / 4) + 3, '\0');
    const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                        reinterpret_cast<const unsigned char*>(text.data()),
                                        static_cast<int>(text.size()));
    if (written < 0) {
        throw std::runtime_error("bad base64");
    }
    // EVP_DecodeBlock counts the padding as zero bytes.
    std::size_t size = static_cast<std::size_t>(written);
    if (text.size() >= 1 && text.back() == '=') {
        --size;
    }
    if (text.size() >= 2 && text[text.size() - 2] == '=') {
        --size;
    }
    out.resize(size);
    return out;
}

const TestPki& test_pki() {
    static const TempDir directory;
    static const TestPki pki = [] {
        const std::string script = std::string(OTPGATE_TEST_SERVERS_DIR) + "/make_test_pki.py";
        const pid_t pid = fork();
        if (pid == 0) {
            execl(OTPGATE_TEST_PYTHON, OTPGATE_TEST_PYTHON, script.c_str(),
                  directory.path().c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        const int status = wait_for(pid);
        if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            throw std::runtime_error("make_test_pki.py failed");
        }
        TestPki made;
        made.ca = directory / "ca.pem";
        made.server_cert = directory / "server.pem";
        made.server_key = directory / "server.key";
        made.rogue_cert = directory / "rogue-server.pem";
        made.rogue_key = directory / "rogue-server.key";
        return made;
    }();
    return pki;
}

std::unique_ptr<ServerProcess> start_test_server(std::string_view script,
                                                 const std::vector<std::string>& arguments) {
    return std::make_unique<ServerProcess>(
        OTPGATE_TEST_PYTHON, std::filesystem::path(OTPGATE_TEST_SERVERS_DIR) / script, arguments);
}

unsigned unused_port() {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
        throw std::runtime_error(errno_message("cannot find a free port"));
    }
    close(fd);
    return ntohs(address.sin_port);
}

core::Config parse_test_config(const std::string& text) {
    core::Config config;
    core::CapturingLogger logger;
    const bool parsed = core::parse_config_text(config, text, "test.conf", logger);
    EXPECT_TRUE(parsed);
    for (const auto& line : logger.lines()) {
        ADD_FAILURE() << "config: " << line.message;
    }
    return config;
}

std::string header_value(const nlohmann::json& request, std::string_view name) {
    for (const auto& header : request.at("headers")) {
        const auto key = header.at(0).get<std::string>();
        if (key.size() == name.size() &&
            std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) ==
                       std::tolower(static_cast<unsigned char>(b));
            })) {
            return header.at(1).get<std::string>();
        }
    }
    return {};
}

bool has_header(const nlohmann::json& request, std::string_view name) {
    for (const auto& header : request.at("headers")) {
        std::string key = header.at(0).get<std::string>();
        std::string wanted(name);
        for (auto* text : {&key, &wanted}) {
            for (char& c : *text) {
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
        }
        if (key == wanted) {
            return true;
        }
    }
    return false;
}

void expect_no_secrets(const core::DeliveryResult& result, const core::CapturingLogger& logger,
                       std::initializer_list<std::string_view> secrets) {
    for (const auto secret : secrets) {
        ASSERT_FALSE(secret.empty());
        EXPECT_EQ(result.detail.find(secret), std::string::npos)
            << "secret '" << secret << "' in detail: " << result.detail;
        for (const auto& line : logger.lines()) {
            EXPECT_EQ(line.message.find(secret), std::string::npos)
                << "secret '" << secret << "' in log: " << line.message;
        }
    }
}

void write_script(const std::filesystem::path& path, std::string_view body) {
    write_file(path, "#!/bin/sh\n" + std::string(body), 0755);
}

std::chrono::milliseconds elapsed_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
}

}  // namespace otpgate::test
