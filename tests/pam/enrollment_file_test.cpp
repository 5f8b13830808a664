// Enrollment files that must be refused. In each case alice enrolled
// properly and her file was then damaged or replaced; she types the code
// that her real secret gives, and it must not let her in. The file is
// where the store under test keeps it (her ~/.otpgate, or root's
// <state_dir>/.enrollments/alice with store = local); what only one store
// has is tested under that store alone.
#include <openssl/sha.h>
#include <security/pam_appl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "otpgate/core/enrollment/enrollment.hpp"
#include "otpgate/core/primitives/hex.hpp"
#include "pam_fixture.hpp"

namespace otpgate::pam_tests {
namespace {

// A file body with the checksum line the format requires, so that a test
// reaches the parser's other checks.
std::string with_checksum(const std::string& body) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest);
    return body + "checksum = " + core::hex_encode(digest, sizeof digest) + "\n";
}

class EnrollmentFileTest : public PamTest {
protected:
    void SetUp() override {
        PamTest::SetUp();
        if (!HasFatalFailure()) {
            m_alice = enroll("alice");
            m_file = sandbox().enrollment_location("alice");
            m_text = std::string(core::serialize_enrollment(m_alice.enrollment).view());
        }
    }

    [[nodiscard]] const std::filesystem::path& file() const { return m_file; }
    [[nodiscard]] const std::string& valid_text() const { return m_text; }
    [[nodiscard]] const KnownEnrollment& enrolled() const { return m_alice; }

    // Replaces alice's file with `content`, owned as the store wants (by
    // alice, or by root after the line naming her uid), with `mode`.
    void replace_file(std::string_view content, mode_t mode = 0600) {
        sandbox().plant_enrollment("alice", content, mode);
    }

    // Gives `path` the owner the store wants of alice's file.
    void own(const std::filesystem::path& path) {
        const uid_t owner = sandbox().enrollment_owner("alice");
        change_owner(path, owner, owner == 0 ? 0 : sandbox().user("alice").gid);
    }

    LoginResult login_with_valid_code() {
        const std::string code = code_at(m_alice);
        return login("alice", {code, code, code, code});
    }

    void expect_refused(const LoginResult& result, const std::string& reason) {
        EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << result.describe();
        EXPECT_EQ(result.prompts, refused_code_prompts(3)) << result.describe();
        EXPECT_TRUE(result.logged("refusing enrollment of user alice: " + reason))
            << "expected reason: " << reason << "\n"
            << result.describe();
        EXPECT_FALSE(result.logged("authenticated")) << result.describe();
        EXPECT_TRUE(result.logged(
            "second factor failed for user alice after 3 attempts (not enrolled or refused)"))
            << result.describe();
    }

private:
    KnownEnrollment m_alice;
    std::filesystem::path m_file;
    std::string m_text;
};

TEST_F(EnrollmentFileTest, ValidFileIsAccepted) {
    const auto result = login_with_valid_code();
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
}

TEST_F(EnrollmentFileTest, MissingFileMeansNotEnrolled) {
    std::filesystem::remove(file());
    const auto result = login_with_valid_code();
    EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << result.describe();
    EXPECT_EQ(result.prompt_count(), 3U) << result.describe();
    EXPECT_TRUE(result.logged("user alice is not enrolled")) << result.describe();
}

// What the parser says about damaged content is its own business (and
// tested with it); here it is enough that the file's content was refused.
TEST_F(EnrollmentFileTest, EmptyFile) {
    replace_file("");
    expect_refused(login_with_valid_code(), file().string() + ": ");
}

TEST_F(EnrollmentFileTest, TruncatedInTheSecret) {
    const auto cut = valid_text().find("totp_secret = ") + 20;
    replace_file(valid_text().substr(0, cut));
    expect_refused(login_with_valid_code(), file().string() + ": ");
}

TEST_F(EnrollmentFileTest, TruncatedInTheLastLine) {
    replace_file(valid_text().substr(0, valid_text().size() - 10));
    expect_refused(login_with_valid_code(), file().string() + ": ");
}

TEST_F(EnrollmentFileTest, BinaryGarbage) {
    std::string garbage;
    for (int i = 0; i < 300; ++i) {
        garbage.push_back(static_cast<char>((i * 37 + 11) % 251 + 1));
    }
    replace_file(garbage);
    expect_refused(login_with_valid_code(), file().string() + ": ");
}

TEST_F(EnrollmentFileTest, SecretTooShort) {
    // Written by the serializer, so the file is well-formed apart from the
    // secret: 5 bytes, below the 10 the parser insists on.
    core::Enrollment enrollment = enrolled().enrollment;
    enrollment.totp_secret.resize(5);
    replace_file(core::serialize_enrollment(enrollment).view());
    expect_refused(login_with_valid_code(), file().string() + ": bad totp_secret");
}

// alice's own bad line, quoted in the parse error, reaches the auth log with
// its escape sequence, bell and carriage return shown, not acted on.
TEST_F(EnrollmentFileTest, ControlBytesOfABadLineAreEscapedInTheLog) {
    std::string body = valid_text().substr(0, valid_text().rfind("checksum = "));
    body += "\x1b]0;root\x07\x1b[2Jev\ril = 1\n";
    const auto bad_line = std::count(body.begin(), body.end(), '\n');
    replace_file(with_checksum(body));
    const auto result = login_with_valid_code();
    expect_refused(result, file().string() + ": line " + std::to_string(bad_line) +
                               ": unknown key '\\x1b]0;root\\x07\\x1b[2Jev\\ril'");
    EXPECT_EQ(result.printed_text().find_first_of("\x1b\x07\r"), std::string::npos)
        << result.describe();
}

TEST_F(EnrollmentFileTest, SymlinkToAValidFile) {
    const auto target = file().parent_path() / "elsewhere";
    std::filesystem::rename(file(), target);
    std::filesystem::create_symlink(target, file());
    own(file());
    expect_refused(login_with_valid_code(), file().string() + " is a symbolic link");
}

TEST_F(EnrollmentFileTest, GroupWritable) {
    ASSERT_EQ(chmod(file().c_str(), 0620), 0);
    expect_refused(login_with_valid_code(), file().string() + " has unsafe permissions 0620");
}

TEST_F(EnrollmentFileTest, WorldWritable) {
    ASSERT_EQ(chmod(file().c_str(), 0602), 0);
    expect_refused(login_with_valid_code(), file().string() + " has unsafe permissions 0602");
}

TEST_F(EnrollmentFileTest, GroupReadable) {
    ASSERT_EQ(chmod(file().c_str(), 0640), 0);
    expect_refused(login_with_valid_code(), file().string() + " has unsafe permissions 0640");
}

TEST_F(EnrollmentFileTest, OwnedByAnotherUser) {
    OTPGATE_FILES_STORE_ONLY("a user's own file (LocalFileOwnedByTheUser is root's)");
    const TestUser& bob = sandbox().user("bob");
    // Readable by alice, so that only the owner check can refuse it.
    ASSERT_EQ(chmod(file().c_str(), 0644), 0);
    change_owner(file(), bob.uid, bob.gid);
    expect_refused(login_with_valid_code(), file().string() + " is owned by uid " +
                                                std::to_string(bob.uid) + ", expected uid " +
                                                std::to_string(sandbox().user("alice").uid));
}

TEST_F(EnrollmentFileTest, OwnedByRootAndPrivate) {
    OTPGATE_FILES_STORE_ONLY("read with the user's identity; root's files are the local store");
    change_owner(file(), 0, 0);
    // Read with alice's file-system identity: root's private file is closed to her.
    expect_refused(login_with_valid_code(),
                   "cannot open " + file().string() + ": Permission denied");
}

TEST_F(EnrollmentFileTest, Directory) {
    std::filesystem::remove(file());
    std::filesystem::create_directory(file());
    own(file());
    ASSERT_EQ(chmod(file().c_str(), 0700), 0);
    expect_refused(login_with_valid_code(), file().string() + " is not a regular file");
}

TEST_F(EnrollmentFileTest, FifoDoesNotHang) {
    std::filesystem::remove(file());
    ASSERT_EQ(mkfifo(file().c_str(), 0600), 0);
    own(file());
    const auto result = login_with_valid_code();
    expect_refused(result, file().string() + " is not a regular file");
    EXPECT_LT(result.seconds, 5.0) << result.describe();
}

TEST_F(EnrollmentFileTest, Oversized) {
    std::string text = valid_text();
    while (text.size() <= 20 * 1024) {
        text += "# padding padding padding padding padding padding padding padding\n";
    }
    replace_file(text);
    expect_refused(login_with_valid_code(), file().string() + " is larger than 16384 bytes");
}

TEST_F(EnrollmentFileTest, HomeClosedToTheUser) {
    OTPGATE_FILES_STORE_ONLY("the file in the user's home");
    const TestUser& alice = sandbox().user("alice");
    change_owner(alice.home, 0, 0);  // root's 0700 directory now
    expect_refused(login_with_valid_code(),
                   "cannot open " + file().string() + ": Permission denied");
}

TEST_F(EnrollmentFileTest, ConfiguredPathWithUserName) {
    OTPGATE_FILES_STORE_ONLY("enrollment_path is the files store's");
    const TestUser& alice = sandbox().user("alice");
    const auto directory = sandbox().root() / "keys" / "alice";
    std::filesystem::create_directories(directory);
    change_owner(directory, alice.uid, alice.gid);
    std::filesystem::rename(file(), directory / "otpgate");
    sandbox().write_config("enrollment_path = " + (sandbox().root() / "keys/%u/otpgate").string());
    const auto result = login_with_valid_code();
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
}

// --- root's files (store = local) -------------------------------------------

TEST_F(EnrollmentFileTest, LocalFileOwnedByTheUser) {
    OTPGATE_LOCAL_STORE_ONLY("root's file of alice's enrollment");
    const TestUser& alice = sandbox().user("alice");
    change_owner(file(), alice.uid, alice.gid);
    expect_refused(login_with_valid_code(), file().string() + " is owned by uid " +
                                                std::to_string(alice.uid) + ", expected uid 0");
}

TEST_F(EnrollmentFileTest, LocalFileWithoutTheLineNamingTheAccount) {
    OTPGATE_LOCAL_STORE_ONLY("the line naming the account is the local store's");
    write_file(file(), valid_text(), 0600);  // alice's text as a files-mode file holds it
    expect_refused(login_with_valid_code(),
                   file().string() + ": the first line does not name the account");
}

// userdel left root's file of the name behind; useradd gave the name to a
// new uid. The file is no enrollment of the new account: exactly as if
// there were none (asked and refused; with nullok, let through unasked).
TEST_F(EnrollmentFileTest, LocalFileOfAnEarlierAccountOfTheSameName) {
    OTPGATE_LOCAL_STORE_ONLY("the line naming the account is the local store's");
    const uid_t earlier = sandbox().user("alice").uid + 1000;
    write_file(file(),
               "otpgate-local-enrollment uid=" + std::to_string(earlier) + "\n" + valid_text(),
               0600);
    const auto result = login_with_valid_code();
    EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << result.describe();
    EXPECT_EQ(result.prompt_count(), 3U) << result.describe();
    EXPECT_TRUE(result.logged("user alice is not enrolled")) << result.describe();
    EXPECT_FALSE(result.logged("authenticated")) << result.describe();

    const auto nullok = login("alice", {}, "otpgate-nullok-stack");
    EXPECT_EQ(nullok.auth_rc, PAM_SUCCESS) << nullok.describe();
    EXPECT_TRUE(nullok.prompts.empty()) << nullok.describe();
    EXPECT_TRUE(
        nullok.logged("user alice is not enrolled; nullok leaves the decision to the stack"))
        << nullok.describe();
}

TEST_F(EnrollmentFileTest, LocalFolderOpenToOthers) {
    OTPGATE_LOCAL_STORE_ONLY("root's folder of enrollments");
    const auto folder = file().parent_path();
    ASSERT_EQ(chmod(folder.c_str(), 0750), 0);
    expect_refused(login_with_valid_code(),
                   folder.string() + " must be a directory owned by uid 0 with mode 0700");
}

TEST_F(EnrollmentFileTest, LocalFolderReplacedByASymlink) {
    OTPGATE_LOCAL_STORE_ONLY("root's folder of enrollments");
    const auto folder = file().parent_path();
    const auto real = sandbox().root() / "elsewhere";
    std::filesystem::rename(folder, real);
    std::filesystem::create_symlink(real, folder);
    expect_refused(login_with_valid_code(),
                   folder.string() + " must be a directory owned by uid 0 with mode 0700");
}

}  // namespace
}  // namespace otpgate::pam_tests
