// Transport: the byte stream under a Redis connection, plain TCP or TLS.
//
// One interface with two implementations (as in Redis' connection.h), so the
// pipelining and handshake code is written once and only transport.cpp
// instantiates Asio's SSL templates. Internal to the redis module.
//
// Operations are not bounded in time here: the owner enforces deadlines by
// calling close(), which makes every pending operation complete with an error
// (operation_aborted or bad_descriptor). At most one read and one write may be
// outstanding at a time.
//
// Thread-safety: none; a Transport lives on one executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "redis/options.hpp"

namespace shopfloor::redis::detail {

namespace asio = boost::asio;

// The TLS client configuration (CA, client certificate, protocol floor) built
// once per Client and shared by its connections.
class TlsContext;

// Builds the TLS context for `opts`. On a configuration error (unreadable CA,
// certificate or key file) returns nullptr and describes it in `error`.
std::shared_ptr<TlsContext> make_tls_context(const Options& opts, std::string& error);

class Transport {
 public:
  using ReadResult = std::pair<boost::system::error_code, std::size_t>;

  virtual ~Transport() = default;

  // Resolves opts.host, connects (TCP_NODELAY on) and, for TLS, handshakes
  // with SNI and verification of the certificate's name against
  // opts.server_name (or opts.host).
  virtual asio::awaitable<boost::system::error_code> connect(const Options& opts) = 0;
  // Some bytes into `buffer`; (error, 0) at end of stream or on failure.
  virtual asio::awaitable<ReadResult> read_some(asio::mutable_buffer buffer) = 0;
  // All of `buffer`, or an error.
  virtual asio::awaitable<boost::system::error_code> write(asio::const_buffer buffer) = 0;
  // Closes the socket without a TLS close_notify (the server does not need
  // one); idempotent. Pending operations complete with an error.
  virtual void close() = 0;
};

// TLS when `tls` is non-null, else plain TCP.
std::unique_ptr<Transport> make_transport(asio::any_io_executor ex,
                                          std::shared_ptr<TlsContext> tls);

}  // namespace shopfloor::redis::detail
