// systemd_notify: the service's side of systemd's readiness protocol (sd_notify(3)),
// without libsystemd: one AF_UNIX datagram of newline-separated VAR=value assignments
// ("READY=1", "STOPPING=1", "STATUS=...") sent to the socket named by $NOTIFY_SOCKET.
// A name starting with '@' is in Linux's abstract namespace (the '@' stands for the
// leading NUL byte); otherwise it must be an absolute path. Other address kinds
// (vsock, systemd 253+) are reported as unsupported.
//
// When $NOTIFY_SOCKET is unset (not run by systemd, or a unit that is not Type=notify)
// notify() does nothing and succeeds: callers need not know how they were started.
// A failure is returned as a message, for the caller to log; it never throws. The
// send does not block (MSG_DONTWAIT): a full or gone manager socket is an error, not
// a hang.
//
// Thread-safety: every call opens, sends on and closes its own socket; safe from any
// thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace shopfloor::app {

// Sends `state` to the socket at `address` ('@name' or an absolute path). Returns
// the reason when it was not sent.
std::optional<std::string> notify_socket(std::string_view address, std::string_view state);

// Sends `state` to $NOTIFY_SOCKET; nothing (and no error) when it is unset or empty.
std::optional<std::string> notify_systemd(std::string_view state);

}  // namespace shopfloor::app
