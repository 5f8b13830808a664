# The CMake side of the tiers that run the built pam_otpgate.so through real
# libpam (tests/pam, tests/hostile): the wrappers they preload, the
# service files, and the environment their programs run in. Included by
# tests/CMakeLists.txt, so that both tiers see what is found here.
find_package(pam_wrapper REQUIRED)
find_package(nss_wrapper REQUIRED)
find_file(OTPGATE_LIBFAKETIME libfaketime.so.1
  PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/faketime /usr/lib/faketime /usr/local/lib/faketime
  NO_DEFAULT_PATH REQUIRED)

# otpgate_pam_services(<folder> "<name>|<auth lines>" ...)
# One service file per entry in <folder> (written at generate time, so a
# line may name $<TARGET_FILE:pam_otpgate>): its auth lines (separated by
# newlines), then `account required pam_permit.so`. An `other` service that
# denies everything comes with them, so that nothing falls through to the
# host's /etc/pam.d.
function(otpgate_pam_services folder)
  foreach(service IN LISTS ARGN)
    string(FIND "${service}" "|" bar)
    string(SUBSTRING "${service}" 0 ${bar} name)
    math(EXPR after "${bar} + 1")
    string(SUBSTRING "${service}" ${after} -1 stack)
    file(GENERATE OUTPUT ${folder}/${name}
      CONTENT "${stack}\naccount required pam_permit.so\n")
  endforeach()
  file(GENERATE OUTPUT ${folder}/other
    CONTENT "auth required pam_deny.so\naccount required pam_deny.so\n")
endfunction()

# otpgate_libpam_test_env(<variable> <service folder> [PRELOAD <library>...]
#                         [ENV <NAME=value>...])
# Sets <variable> to the command prefix a libpam test program runs under:
# pam_wrapper reading <service folder> and printing pam_syslog lines on
# stderr, nss_wrapper, libfaketime and then each <library> preloaded, with a
# /dev/shm and a /tmp of its own (support/private_scratch). It is
# a prefix (CROSSCOMPILING_EMULATOR), never the ENVIRONMENT property, which
# gtest_discover_tests cuts down to its first variable. Per-test paths
# (NSS_WRAPPER_PASSWD, FAKETIME_TIMESTAMP_FILE) are set by the test itself.
function(otpgate_libpam_test_env variable service_dir)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "PRELOAD;ENV")
  set(preload
    "${otpgate_test_preload_first}${PAM_WRAPPER_LIBRARY}:${NSS_WRAPPER_LIBRARY}:${OTPGATE_LIBFAKETIME}")
  foreach(library IN LISTS arg_PRELOAD)
    string(APPEND preload ":${library}")
  endforeach()
  set(${variable}
    ${otpgate_private_scratch} ${CMAKE_COMMAND} -E env
    ${otpgate_test_env}
    ${arg_ENV}
    PAM_WRAPPER=1
    PAM_WRAPPER_SERVICE_DIR=${service_dir}
    PAM_WRAPPER_DEBUGLEVEL=2
    "LD_PRELOAD=${preload}"
    FAKETIME_NO_CACHE=1
    FAKETIME_DONT_FAKE_MONOTONIC=1
    NO_FAKE_STAT=1
    TZ=UTC
    PARENT_SCOPE)
endfunction()
