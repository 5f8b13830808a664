/* Preloaded into the libpam test logins: counts every PBKDF2 derivation
 * the module makes, and its iteration count, by appending one line per
 * call to the file named by OTPGATE_TEST_PBKDF2_LOG (nothing when unset),
 * then derives as libcrypto would. The module is the one installed on
 * hosts: what it costs is observed from outside, not reported by it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef int pbkdf2_function(const char*, int, const unsigned char*, int, int, const void*, int,
                            unsigned char*);

int PKCS5_PBKDF2_HMAC(const char* pass, int passlen, const unsigned char* salt, int saltlen,
                      int iter, const void* digest, int keylen, unsigned char* out) {
    const char* log_path = getenv("OTPGATE_TEST_PBKDF2_LOG");
    if (log_path != NULL && *log_path != '\0') {
        const int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0) {
            char line[32];
            const int length = snprintf(line, sizeof line, "%d\n", iter);
            if (length > 0 && write(fd, line, (size_t)length) != length) {
                /* the test sees a missing line */
            }
            close(fd);
        }
    }
    pbkdf2_function* real = (pbkdf2_function*)dlsym(RTLD_NEXT, "PKCS5_PBKDF2_HMAC");
    if (real == NULL) {
        abort();
    }
    return real(pass, passlen, salt, saltlen, iter, digest, keylen, out);
}
