// The built pam_otpgate.so as libpam will load it: what it exports, what
// it needs, and what it leaves for the dynamic linker to resolve.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "test_files.hpp"

namespace otpgate::pam_tests {
namespace {

struct PipeCloser {
    void operator()(FILE* pipe) const noexcept { pclose(pipe); }
};

// Output of a tool run on the module, one line per entry.
std::vector<std::string> run_tool(const std::string& command) {
    std::unique_ptr<FILE, PipeCloser> pipe(popen(command.c_str(), "r"));
    if (!pipe) {
        ADD_FAILURE() << "cannot run " << command;
        return {};
    }
    std::vector<std::string> lines;
    char buffer[1024];
    while (std::fgets(buffer, sizeof buffer, pipe.get()) != nullptr) {
        std::string line(buffer);
        while (!line.empty() && line.back() == '\n') {
            line.pop_back();
        }
        lines.push_back(line);
    }
    const int status = pclose(pipe.release());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << command;
    return lines;
}

// `nm -D` lines: "ADDRESS TYPE NAME" for defined symbols, "TYPE NAME" for
// undefined ones.
struct Symbol {
    char type = '?';
    std::string name;
};

std::vector<Symbol> dynamic_symbols(const std::string& options) {
    std::vector<Symbol> symbols;
    for (const auto& line :
         run_tool(std::string(OTPGATE_TEST_NM) + " -D " + options + " " + OTPGATE_TEST_MODULE)) {
        std::istringstream fields(line);
        std::vector<std::string> parts;
        for (std::string part; fields >> part;) {
            parts.push_back(part);
        }
        if (parts.size() >= 2) {
            symbols.push_back({parts[parts.size() - 2].front(), parts.back()});
        }
    }
    return symbols;
}

struct LibraryCloser {
    void operator()(void* handle) const noexcept { dlclose(handle); }
};

TEST(ModuleSharedObject, LoadsWithEverySymbolResolved) {
    dlerror();
    const std::unique_ptr<void, LibraryCloser> module(
        dlopen(OTPGATE_TEST_MODULE, RTLD_NOW | RTLD_LOCAL));
    ASSERT_TRUE(module) << dlerror();
    EXPECT_NE(dlsym(module.get(), "pam_sm_authenticate"), nullptr);
    EXPECT_NE(dlsym(module.get(), "pam_sm_setcred"), nullptr);
    // Management groups the module does not implement must not be there
    // (libpam would otherwise call them).
    EXPECT_EQ(dlsym(module.get(), "pam_sm_acct_mgmt"), nullptr);
    EXPECT_EQ(dlsym(module.get(), "pam_sm_open_session"), nullptr);
    EXPECT_EQ(dlsym(module.get(), "pam_sm_chauthtok"), nullptr);
}

// libcurl (and the ~35 libraries it needs) is loaded only when a code is
// sent: a TOTP login, and every sshd, su or sudo that merely loads the
// module, must not pay for it.
TEST(ModuleSharedObject, LoadingDoesNotMapLibcurl) {
    ASSERT_FALSE(otpgate::test::process_maps("libcurl"))
        << "this test program must not link libcurl itself";
    dlerror();
    const std::unique_ptr<void, LibraryCloser> module(
        dlopen(OTPGATE_TEST_MODULE, RTLD_NOW | RTLD_LOCAL));
    ASSERT_TRUE(module) << dlerror();
    EXPECT_FALSE(otpgate::test::process_maps("libcurl"));
}

// Likewise libpq, needed only with store = postgresql.
TEST(ModuleSharedObject, LoadingDoesNotMapLibpq) {
    ASSERT_FALSE(otpgate::test::process_maps("libpq"))
        << "this test program must not link libpq itself";
    dlerror();
    const std::unique_ptr<void, LibraryCloser> module(
        dlopen(OTPGATE_TEST_MODULE, RTLD_NOW | RTLD_LOCAL));
    ASSERT_TRUE(module) << dlerror();
    EXPECT_FALSE(otpgate::test::process_maps("libpq"));
}

TEST(ModuleSharedObject, ExportsOnlyTheEntryPoints) {
    std::set<std::string> functions;
    std::set<std::string> everything;
    for (const auto& symbol : dynamic_symbols("--defined-only")) {
        everything.insert(symbol.name);
        if (symbol.type == 'T' || symbol.type == 'W' || symbol.type == 'i') {
            functions.insert(symbol.name);
        }
    }
    EXPECT_EQ(functions, (std::set<std::string>{"pam_sm_authenticate", "pam_sm_setcred"}));
    for (const auto& name : everything) {
        EXPECT_EQ(name.rfind("pam_sm_", 0), 0U) << "exported: " << name;
    }
}

TEST(ModuleSharedObject, NeedsOnlyTheExpectedLibraries) {
    std::set<std::string> needed;
    for (const auto& line :
         run_tool(std::string(OTPGATE_TEST_READELF) + " -d -W " + OTPGATE_TEST_MODULE)) {
        if (line.find("(NEEDED)") == std::string::npos) {
            continue;
        }
        const auto open = line.find('[');
        const auto close = line.find(']', open);
        if (open != std::string::npos && close != std::string::npos) {
            needed.insert(line.substr(open + 1, close - open - 1));
        }
    }
    EXPECT_TRUE(needed.count("libpam.so.0") == 1);
    for (const auto& library : needed) {
        EXPECT_EQ(library.find("qrencode"), std::string::npos) << "the module links " << library;
    }
    // libcurl, which sends SMS and email codes, is loaded only then
    // (dlopen), never at load time, and so is libpq, only for store =
    // postgresql; nothing else joins the process.
    for (const auto& library : needed) {
        EXPECT_EQ(library.find("libcurl"), std::string::npos) << "the module links " << library;
        EXPECT_EQ(library.find("libpq"), std::string::npos) << "the module links " << library;
    }
    std::set<std::string> allowed = {"libpam.so.0",   "libcrypto.so.3", "libstdc++.so.6",
                                     "libgcc_s.so.1", "libc.so.6",      "libm.so.6"};
#ifdef OTPGATE_TEST_SANITIZED
    allowed.insert({"libasan.so.8", "libubsan.so.1"});  // scripts/sanitize's build
#endif
    for (const auto& library : needed) {
        EXPECT_EQ(allowed.count(library), 1U) << "unexpected NEEDED entry: " << library;
    }
}

TEST(ModuleSharedObject, UndefinedSymbolsComeFromLibcLibpamLibcryptoAndLibstdcxx) {
    // Every symbol the module takes from a library carries that library's
    // version tag; unversioned weak references are the toolchain's own hooks.
    const std::vector<std::string> providers = {"@GLIBC_", "@GLIBCXX_", "@CXXABI_",
                                                "@GCC_",   "@OPENSSL_", "@LIBPAM_"};
    const auto undefined = dynamic_symbols("--undefined-only");
    EXPECT_FALSE(undefined.empty());
    for (const auto& symbol : undefined) {
        bool known = false;
        for (const auto& provider : providers) {
            known = known || symbol.name.find(provider) != std::string::npos;
        }
#ifdef OTPGATE_TEST_SANITIZED
        // scripts/sanitize's build: libasan, first in NEEDED, provides its
        // hooks and its interceptors (malloc, read, ...) unversioned.
        known = known || symbol.name.find('@') == std::string::npos;
#endif
        if (!known) {
            EXPECT_EQ(symbol.type, 'w') << "undefined without a known provider: " << symbol.name;
        }
    }
}

}  // namespace
}  // namespace otpgate::pam_tests
