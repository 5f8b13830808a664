// Loading otpgate.conf from disk and layering module arguments on top.
#include <filesystem>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "otpgate/core/config/config.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

class ConfigFile : public ::testing::Test {
protected:
    test::TempDir dir;
    Config config;
    CapturingLogger logger;

    std::filesystem::path write(const std::string& content, mode_t mode = 0644) {
        const auto path = dir / "otpgate.conf";
        test::write_file(path, content, mode);
        return path;
    }
};

TEST_F(ConfigFile, AGoodFileIsApplied) {
    const auto path = write("max_attempts = 4\nprompt = \"OTP: \"\nnullok = yes\n");
    const auto loaded = load_config_file(config, path, ConfigRequirement::required, logger);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(config.max_attempts, 4u);
    EXPECT_EQ(config.prompt, "OTP: ");
    EXPECT_TRUE(config.nullok);
}

TEST_F(ConfigFile, BadValueFailsWithFileAndLineLogged) {
    const auto path = write("# header\nmax_attempts = 40\n");
    const auto loaded = load_config_file(config, path, ConfigRequirement::required, logger);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().kind, ErrorKind::invalid_input);
    EXPECT_TRUE(logger.contains(path.string() + ":2: bad value for max_attempts"));
}

TEST_F(ConfigFile, UnknownKeyWarnsWithFileAndLineButLoads) {
    const auto path = write("max_attempts = 4\nfrobnicate = 1\nmax_attempts = 6\n");
    const auto loaded = load_config_file(config, path, ConfigRequirement::required, logger);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_TRUE(logger.contains(path.string() + ":2: unknown key 'frobnicate'"));
    EXPECT_EQ(config.max_attempts, 6u);
}

TEST_F(ConfigFile, ExplicitMissingFileIsAnError) {
    const auto loaded =
        load_config_file(config, dir / "absent.conf", ConfigRequirement::required, logger);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().kind, ErrorKind::not_found);
    EXPECT_NE(loaded.error().message.find("absent.conf"), std::string::npos);
}

TEST_F(ConfigFile, DefaultMissingFileMeansDefaults) {
    logger.set_debug(true);
    const auto loaded =
        load_config_file(config, dir / "absent.conf", ConfigRequirement::optional, logger);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(config.max_attempts, Config{}.max_attempts);
    EXPECT_EQ(config.prompt, Config{}.prompt);
    for (const auto& line : logger.lines()) {
        EXPECT_EQ(line.severity, Severity::debug) << line.message;
    }
}

TEST_F(ConfigFile, SymlinkIsRefused) {
    const auto target = write("max_attempts = 4\n");
    const auto link = dir / "link.conf";
    std::filesystem::create_symlink(target, link);
    for (const auto requirement : {ConfigRequirement::required, ConfigRequirement::optional}) {
        const auto loaded = load_config_file(config, link, requirement, logger);
        ASSERT_FALSE(loaded.ok());
        EXPECT_EQ(loaded.error().kind, ErrorKind::unsafe);
    }
    EXPECT_EQ(config.max_attempts, Config{}.max_attempts);
}

TEST_F(ConfigFile, GroupOrOtherWritableIsRefused) {
    for (const mode_t mode : {mode_t{0664}, mode_t{0646}, mode_t{0666}, mode_t{0620}}) {
        SCOPED_TRACE(mode);
        const auto path = write("max_attempts = 4\n", mode);
        const auto loaded = load_config_file(config, path, ConfigRequirement::required, logger);
        ASSERT_FALSE(loaded.ok());
        EXPECT_EQ(loaded.error().kind, ErrorKind::unsafe);
        EXPECT_NE(loaded.error().message.find("permissions"), std::string::npos);
        EXPECT_EQ(config.max_attempts, Config{}.max_attempts);
    }
    // Readable by all, or private, is fine.
    for (const mode_t mode : {mode_t{0644}, mode_t{0600}, mode_t{0400}}) {
        const auto path = write("max_attempts = 4\n", mode);
        EXPECT_TRUE(load_config_file(config, path, ConfigRequirement::required, logger).ok());
    }
}

TEST_F(ConfigFile, OwnedByAnotherUserIsRefused) {
    if (!test::running_as_root()) {
        GTEST_SKIP() << "chown needs root";
    }
    const auto path = write("max_attempts = 4\n");
    ASSERT_EQ(::chown(path.c_str(), 4242, 4242), 0);
    const auto loaded = load_config_file(config, path, ConfigRequirement::required, logger);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().kind, ErrorKind::unsafe);
    EXPECT_NE(loaded.error().message.find("4242"), std::string::npos);
    EXPECT_EQ(config.max_attempts, Config{}.max_attempts);
}

TEST_F(ConfigFile, DirectoryAndOversizedFilesAreRefused) {
    const auto subdir = dir / "conf.d";
    std::filesystem::create_directory(subdir);
    const auto as_dir = load_config_file(config, subdir, ConfigRequirement::required, logger);
    ASSERT_FALSE(as_dir.ok());
    EXPECT_EQ(as_dir.error().kind, ErrorKind::unsafe);

    std::string big;
    while (big.size() <= 64 * 1024) {
        big += "# padding padding padding padding padding padding padding padding\n";
    }
    const auto path = write(big);
    const auto loaded = load_config_file(config, path, ConfigRequirement::required, logger);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().kind, ErrorKind::unsafe);
}

class ModuleConfig : public ConfigFile {};

TEST_F(ModuleConfig, ArgumentsOverrideTheFile) {
    const auto path = write(
        "max_attempts = 2\n"
        "nullok = no\n"
        "prompt = \"From file: \"\n"
        "fail_delay_ms = 100\n");
    const auto arguments = split_module_arguments(
        {"nullok", ("config=" + path.string()).c_str(), "max_attempts=5", "prompt=From args:"});
    EXPECT_TRUE(load_module_config(config, arguments, logger));
    EXPECT_EQ(config.max_attempts, 5u);
    EXPECT_TRUE(config.nullok);
    EXPECT_EQ(config.prompt, "From args:");
    EXPECT_EQ(config.fail_delay_ms, 100u);  // set only in the file
    EXPECT_FALSE(logger.debug_enabled());
}

TEST_F(ModuleConfig, DebugArgumentTurnsOnDebugLogging) {
    const auto path = write("max_attempts = 2\n");
    const std::string config_argument = "config=" + path.string();
    const auto arguments = split_module_arguments({"debug", config_argument});
    EXPECT_TRUE(load_module_config(config, arguments, logger));
    EXPECT_TRUE(config.debug);
    EXPECT_TRUE(logger.debug_enabled());
}

TEST_F(ModuleConfig, DebugInTheFileTurnsOnDebugLogging) {
    const auto path = write("debug = yes\n");
    const std::string config_argument = "config=" + path.string();
    EXPECT_TRUE(load_module_config(config, split_module_arguments({config_argument}), logger));
    EXPECT_TRUE(logger.debug_enabled());
}

TEST_F(ModuleConfig, ExplicitMissingConfigIsAnError) {
    const std::string config_argument = "config=" + (dir / "missing.conf").string();
    EXPECT_FALSE(load_module_config(config, split_module_arguments({config_argument}), logger));
    EXPECT_TRUE(logger.contains("missing.conf"));
    ASSERT_FALSE(logger.lines().empty());
    EXPECT_EQ(logger.lines().back().severity, Severity::error);
}

TEST_F(ModuleConfig, RelativeConfigPathIsAnError) {
    EXPECT_FALSE(
        load_module_config(config, split_module_arguments({"config=otpgate.conf"}), logger));
    EXPECT_TRUE(logger.contains("config=otpgate.conf"));
}

TEST_F(ModuleConfig, ConfigWithoutAPathIsAnError) {
    EXPECT_FALSE(load_module_config(config, split_module_arguments({"config"}), logger));
    EXPECT_TRUE(logger.contains("expected an absolute path"));
}

TEST_F(ModuleConfig, BadArgumentValueFailsButOthersApply) {
    const auto path = write("max_attempts = 2\n");
    const std::string config_argument = "config=" + path.string();
    const auto arguments =
        split_module_arguments({config_argument, "totp_window=99", "max_attempts=7"});
    EXPECT_FALSE(load_module_config(config, arguments, logger));
    EXPECT_TRUE(logger.contains("module argument: bad value for totp_window"));
    EXPECT_EQ(config.max_attempts, 7u);
}

TEST_F(ModuleConfig, UnsafeFileFailsClosedEvenWithGoodArguments) {
    const auto path = write("max_attempts = 2\n", 0666);
    const std::string config_argument = "config=" + path.string();
    EXPECT_FALSE(
        load_module_config(config, split_module_arguments({config_argument, "nullok"}), logger));
    EXPECT_TRUE(logger.contains("permissions"));
}

TEST_F(ModuleConfig, NoConfigArgumentReadsTheOptionalDefault) {
    // Only meaningful where the built-in default path does not exist.
    if (std::filesystem::exists(std::filesystem::path(default_config_path))) {
        GTEST_SKIP() << default_config_path << " exists on this machine";
    }
    EXPECT_TRUE(load_module_config(config, split_module_arguments({"max_attempts=4"}), logger));
    EXPECT_EQ(config.max_attempts, 4u);
    EXPECT_EQ(config.prompt, Config{}.prompt);
}

}  // namespace
}  // namespace otpgate::core
