# Sources of the message delivery layer, added to otpgate_core.
target_sources(otpgate_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/src/delivery_config.cpp
)
