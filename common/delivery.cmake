# Sources of the message delivery layer (SMS and email), added to otpgate_core.
find_package(CURL REQUIRED)
target_sources(otpgate_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/src/child_process.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/credentials.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/curl_library.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/curl_transfer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/delivery_config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/delivery_url.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/delivery_url_libcurl.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/email_format.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/generic_http_sms.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/https_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/json_text.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/message_sender.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/message_template.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/message_text.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/outbox_sender.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/program_sender.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/smtp_email.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/twilio_sms.cpp
)
# libcurl is loaded with dlopen when a message is first sent
# (curl_library.hpp), never linked: a linked libcurl and its ~35 libraries
# were mapped into every process that loads the module, TOTP logins
# included. Only its headers are used here, for types and constants.
# (The imported target is visible in this directory only: its include
# directories are read here, not by a generator expression in consumers.)
get_target_property(otpgate_curl_include_dirs CURL::libcurl INTERFACE_INCLUDE_DIRECTORIES)
target_include_directories(otpgate_core SYSTEM PUBLIC ${otpgate_curl_include_dirs})
target_link_libraries(otpgate_core PRIVATE ${CMAKE_DL_LIBS})
