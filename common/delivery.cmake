# Sources of the message delivery layer (SMS and email), added to otpgate_core.
find_package(CURL REQUIRED)
target_sources(otpgate_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/src/child_process.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/credentials.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/curl_transfer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/delivery_config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/delivery_url.cpp
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
target_link_libraries(otpgate_core PUBLIC CURL::libcurl)
