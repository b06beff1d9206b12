"""The HTTP server both fakes run on: the stdlib's threaded server, tuned the way production front ends are.

- A listen backlog of 512 (socketserver's default of 5 resets a burst of the bot's connections).
- TCP_NODELAY on every connection (handlers set ``disable_nagle_algorithm``): the stdlib writes
  headers and body in two sends, and Nagle's algorithm would hold the body for the client's delayed
  ACK, 40 ms per kept-alive request.
- A client that hangs up before the answer is written (the bot giving up on a slow fake) is expected,
  not a traceback on stderr.
"""

from __future__ import annotations

import sys
from http.server import ThreadingHTTPServer
from typing import Any


class FakeHTTPServer(ThreadingHTTPServer):
    request_queue_size = 512
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            return
        super().handle_error(request, client_address)
