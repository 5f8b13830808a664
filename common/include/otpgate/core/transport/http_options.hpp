// What an HTTP request to a gateway may be: the methods and the kinds of
// authentication the transport knows (https_client.hpp). The config keys
// http_method and http_auth choose among them (delivery_config.hpp).
#pragma once

namespace otpgate::core {

// GET is deliberately missing: a code in a URL ends up in access logs.
enum class HttpMethod { post, put };
enum class HttpAuth { none, basic, bearer };

}  // namespace otpgate::core
