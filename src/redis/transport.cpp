// Plain TCP and TLS transports. The only translation unit that instantiates
// Asio's SSL stream templates.
#include "redis/transport.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace shopfloor::redis::detail {

namespace ssl = asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;

class TlsContext {
 public:
  TlsContext() : context(ssl::context::tls_client) {}
  ssl::context context;
};

std::shared_ptr<TlsContext> make_tls_context(const Options& opts, std::string& error) {
  auto tls = std::make_shared<TlsContext>();
  auto& ctx = tls->context;
  error_code ec;
  // TLS 1.2 is the oldest version Redis and Valkey accept by default.
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                  ec);
  if (opts.ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
    if (ec) {
      error = "cannot load the system CA store: " + ec.message();
      return nullptr;
    }
  } else {
    ctx.load_verify_file(opts.ca_file, ec);
    if (ec) {
      error = "cannot load CA file " + opts.ca_file + ": " + ec.message();
      return nullptr;
    }
  }
  if (!opts.cert_file.empty() || !opts.key_file.empty()) {
    if (opts.cert_file.empty() || opts.key_file.empty()) {
      error = "a client certificate needs both cert_file and key_file";
      return nullptr;
    }
    ctx.use_certificate_chain_file(opts.cert_file, ec);
    if (ec) {
      error = "cannot load client certificate " + opts.cert_file + ": " + ec.message();
      return nullptr;
    }
    ctx.use_private_key_file(opts.key_file, ssl::context::pem, ec);
    if (ec) {
      error = "cannot load client key " + opts.key_file + ": " + ec.message();
      return nullptr;
    }
  }
  ctx.set_verify_mode(ssl::verify_peer, ec);
  return tls;
}

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

asio::awaitable<error_code> connect_socket(tcp::resolver& resolver, tcp::socket& socket,
                                           const Options& opts) {
  error_code ip_ec;
  const auto address = asio::ip::make_address(opts.host, ip_ec);
  if (!ip_ec) {
    // An IP literal needs no resolver (whose async form runs on a helper thread).
    auto [cec] = co_await socket.async_connect(tcp::endpoint(address, opts.port), kUseTuple);
    if (cec) co_return cec;
  } else {
    auto [rec, endpoints] =
        co_await resolver.async_resolve(opts.host, std::to_string(opts.port), kUseTuple);
    if (rec) co_return rec;
    auto [cec, endpoint] = co_await asio::async_connect(socket, endpoints, kUseTuple);
    if (cec) co_return cec;
  }
  // Pipelined commands are written in batches already; Nagle would only add
  // latency to the last segment of each batch.
  error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  co_return error_code{};
}

class TcpTransport final : public Transport {
 public:
  explicit TcpTransport(asio::any_io_executor ex) : resolver_(ex), socket_(ex) {}

  asio::awaitable<error_code> connect(const Options& opts) override {
    co_return co_await connect_socket(resolver_, socket_, opts);
  }

  asio::awaitable<ReadResult> read_some(asio::mutable_buffer buffer) override {
    auto [ec, n] = co_await socket_.async_read_some(buffer, kUseTuple);
    co_return ReadResult{ec, n};
  }

  asio::awaitable<error_code> write(asio::const_buffer buffer) override {
    auto [ec, n] = co_await asio::async_write(socket_, buffer, kUseTuple);
    co_return ec;
  }

  void close() override {
    resolver_.cancel();
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  tcp::resolver resolver_;
  tcp::socket socket_;
};

class TlsTransport final : public Transport {
 public:
  TlsTransport(asio::any_io_executor ex, std::shared_ptr<TlsContext> tls)
      : tls_(std::move(tls)), resolver_(ex), stream_(ex, tls_->context) {}

  asio::awaitable<error_code> connect(const Options& opts) override {
    if (auto ec = co_await connect_socket(resolver_, stream_.next_layer(), opts)) co_return ec;
    const std::string& name = opts.server_name.empty() ? opts.host : opts.server_name;
    // SNI carries host names only (RFC 6066); an IP literal is still verified
    // against the certificate's IP SANs by host_name_verification.
    error_code ip_ec;
    asio::ip::make_address(name, ip_ec);
    if (ip_ec && !SSL_set_tlsext_host_name(stream_.native_handle(), name.c_str())) {
      co_return error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
    }
    stream_.set_verify_callback(ssl::host_name_verification(name));
    auto [ec] = co_await stream_.async_handshake(ssl::stream_base::client, kUseTuple);
    co_return ec;
  }

  asio::awaitable<ReadResult> read_some(asio::mutable_buffer buffer) override {
    auto [ec, n] = co_await stream_.async_read_some(buffer, kUseTuple);
    co_return ReadResult{ec, n};
  }

  asio::awaitable<error_code> write(asio::const_buffer buffer) override {
    auto [ec, n] = co_await asio::async_write(stream_, buffer, kUseTuple);
    co_return ec;
  }

  void close() override {
    resolver_.cancel();
    error_code ignored;
    stream_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.next_layer().close(ignored);
  }

 private:
  std::shared_ptr<TlsContext> tls_;  // outlives the stream that references it
  tcp::resolver resolver_;
  ssl::stream<tcp::socket> stream_;
};

}  // namespace

std::unique_ptr<Transport> make_transport(asio::any_io_executor ex,
                                          std::shared_ptr<TlsContext> tls) {
  if (tls) return std::make_unique<TlsTransport>(std::move(ex), std::move(tls));
  return std::make_unique<TcpTransport>(std::move(ex));
}

}  // namespace shopfloor::redis::detail
