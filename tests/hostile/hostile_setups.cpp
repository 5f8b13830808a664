// The setups and checks the hostile table's rows are written with.
#include "hostile_case.hpp"
#include "otpgate/core/state/replay_fence.hpp"

#include <gtest/gtest.h>
#include <security/pam_appl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace otpgate::hostile_tests {

// ---- setups -----------------------------------------------------------------

void totp_alice(World& world) {
    world.enroll("alice");
}

Setup with_config(std::string lines) {
    return [lines](World& world) {
        totp_alice(world);
        world.config(lines);
    };
}

// alice is enrolled; then the config path is replaced by what `make` creates.
Setup config_file(std::function<void(const std::filesystem::path&)> make) {
    return [make](World& world) {
        totp_alice(world);
        std::filesystem::remove(world.config_path());
        make(world.config_path());
    };
}
// The whole config file; a state_dir line in the sandbox goes last (so that
// line numbers in the expected messages are those of `content`), or the
// module would use the host's /var/lib/otpgate.
Setup config_text(std::string content, mode_t mode) {
    return [content, mode](World& world) {
        totp_alice(world);
        std::filesystem::remove(world.config_path());
        pam_tests::write_file(
            world.config_path(),
            content + "\nstate_dir = " + world.sandbox().state_dir().string() + "\n", mode);
    };
}

std::filesystem::path enrollment_of(World& world, const std::string& user) {
    return world.home_of(user) / ".otpgate";
}

// alice is enrolled; then her enrollment file is damaged by `damage`.
Setup enrollment(std::function<void(World&, const std::filesystem::path&)> damage) {
    return [damage](World& world) {
        totp_alice(world);
        damage(world, enrollment_of(world));
    };
}
Setup enrollment_text(std::function<std::string(const std::string&)> rewrite) {
    return enrollment([rewrite](World& world, const std::filesystem::path& path) {
        const std::string old = pam_tests::read_file(path);
        pam_tests::write_file(path, rewrite(old), 0600);
        pam_tests::change_owner(path, world.uid_of("alice"), world.uid_of("alice"));
    });
}
// Moves the valid file aside and puts something else in its place.
Setup enrollment_replaced(std::function<void(const std::filesystem::path&)> make) {
    return enrollment([make](World&, const std::filesystem::path& path) {
        std::filesystem::rename(path, path.string() + ".real");
        make(path);
    });
}

// alice is enrolled and has logged in once (her state file exists and the
// code of that moment is spent); the clock moves on a period, then `damage`.
Setup state(std::function<void(World&, const std::filesystem::path&)> damage) {
    return [damage](World& world) {
        totp_alice(world);
        world.log_in_once();
        world.step_clock(30);
        damage(world, world.sandbox().state_file("alice"));
    };
}
Setup state_replaced(std::function<void(const std::filesystem::path&)> make) {
    return state([make](World&, const std::filesystem::path& path) {
        std::filesystem::remove(path);
        make(path);
    });
}
void overwrite(const std::filesystem::path& path, std::size_t offset, std::string_view bytes) {
    std::string content = pam_tests::read_file(path);
    content.replace(offset, bytes.size(), bytes);
    pam_tests::write_file(path, content, 0600);
}

// The state directory on a small tmpfs of its own, in state `how`.
Setup state_on_tmpfs(Fs how, bool has_state, bool has_fence) {
    return [how, has_state, has_fence](World& world) {
        const auto dir = world.root() / "small-fs";
        mount_tmpfs(dir, "size=64k,nr_inodes=64,mode=0700");
        world.use_state_dir(dir);
        totp_alice(world);
        if (has_state) {
            world.log_in_once();
            world.step_clock(30);
        }
        if (!has_fence) {
            std::filesystem::remove(dir / core::replay_fence_file_name);
        }
        if (how == Fs::read_only) {
            remount_read_only(dir);
        } else {
            fill_file_system(dir);
        }
    };
}

// alice's home on a tmpfs that is then made read-only: logins only read it.
void home_read_only(World& world) {
    const auto home = world.home_of("alice");
    mount_tmpfs(home, "size=64k,mode=0700,uid=" + std::to_string(world.uid_of("alice")) +
                          ",gid=" + std::to_string(world.uid_of("alice")));
    totp_alice(world);
    remount_read_only(home);
}

// alice's home on a small tmpfs that is then filled up.
void home_full(World& world) {
    const auto home = world.home_of("alice");
    mount_tmpfs(home, "size=64k,mode=0700,uid=" + std::to_string(world.uid_of("alice")) +
                          ",gid=" + std::to_string(world.uid_of("alice")));
    totp_alice(world);
    fill_file_system(home);
}

// alice typed `failures` wrong codes (lockout after 2), then the clock moves.
Setup locked_out_then(std::int64_t clock_step) {
    return [clock_step](World& world) {
        totp_alice(world);
        world.config("lockout_failures = 2\nlockout_window = 300\nlockout_duration = 900\n");
        for (int i = 0; i < 2; ++i) {
            LoginAttempt wrong;
            wrong.replies = {{Reply::Kind::text, world.wrong_code("alice")}};
            static_cast<void>(run_attempt(wrong));
        }
        world.step_clock(clock_step);
    };
}

// A user that exists only under this odd name, enrolled.
Setup odd_user(std::string name) {
    return [name](World& world) {
        totp_alice(world);
        world.add_user(name, 3001);
        world.enroll(name);
    };
}

// ---- delivery ---------------------------------------------------------------

Setup sms_gateway(std::string mode, std::string extra) {
    return [mode, extra](World& world) {
        world.start_server("hostile_gateway.py", {"--mode", mode});
        world.enroll_delivered("alice", core::Method::sms, sms_number);
        world.config(
            "sms_backend = generic\n"
            "http_url = http://127.0.0.1:" +
            std::to_string(world.server_port()) +
            "/v1/send\n"
            "http_body_type = json\n"
            "http_body = {\"to\": \"{to}\", \"text\": \"{message}\"}\n"
            "sms_allowed_countries = 44\n"
            "delivery_timeout_ms = 1000\n" +
            extra);
    };
}

// The SMS user's state directory on a tmpfs, made read-only once the
// number is verified.
void sms_state_read_only(World& world) {
    const auto dir = world.root() / "small-fs";
    mount_tmpfs(dir, "size=64k,nr_inodes=64,mode=0700");
    world.use_state_dir(dir);
    sms_gateway("ok")(world);
    remount_read_only(dir);
}

Setup smtp_server(std::string mode) {
    return [mode](World& world) {
        world.start_server("dropping_smtp.py", {"--mode", mode});
        world.enroll_delivered("alice", core::Method::email, "alice@example.com");
        world.config(
            "email_backend = smtp\n"
            "smtp_url = smtp://127.0.0.1:" +
            std::to_string(world.server_port()) +
            "\n"
            "smtp_starttls = none\n"
            "email_from = otpgate@example.com\n"
            "delivery_timeout_ms = 1000\n");
    };
}

// ---- checks -----------------------------------------------------------------

const Check gateway_asked_once = [](World& world, const LoginResult&, const Before&) {
    const std::string log = pam_tests::read_file(world.server_log());
    EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << "requests:\n" << log;
};
const Check within_timeout = [](World&, const LoginResult& result, const Before&) {
    EXPECT_LT(result.seconds, 1.0 + 0.8) << "delivery_timeout_ms = 1000";
};
const Check smtp_dropped = [](World& world, const LoginResult& result, const Before&) {
    EXPECT_NE(pam_tests::read_file(world.server_log()).find("DROPPED"), std::string::npos);
    EXPECT_LT(result.seconds, 2.5);
};
const Check spent_code_stays_spent = [](World& world, const LoginResult&, const Before&) {
    LoginAttempt again;
    again.replies = answer(world.expand("{code}", "alice"));
    const LoginResult replay = run_attempt(again);
    EXPECT_EQ(replay.auth_rc, PAM_AUTH_ERR) << replay.describe();
    EXPECT_TRUE(replay.logged("replayed code for user alice refused")) << replay.describe();
};
// A state the module cannot read stays as it was: no reset, no rewrite.
const Check state_kept = [](World& world, const LoginResult&, const Before& before) {
    ASSERT_TRUE(before.state.has_value());
    EXPECT_EQ(pam_tests::read_file(world.sandbox().state_file("alice")), *before.state);
};

}  // namespace otpgate::hostile_tests
