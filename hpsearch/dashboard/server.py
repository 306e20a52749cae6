"""The dashboard's HTTP server (the standard library's ThreadingHTTPServer): the page, its
scripts, and JSON endpoints over the runs of one folder, read live from their files.

    GET  /                                  the page (with the token when the address has it)
    GET  /api/runs                          one line per run
    GET  /api/runs/NAME                     what the run is (space, metric, mode)
    GET  /api/runs/NAME/poll?trials=C&curves=C&summary=D
                                            rows appended since cursors C, the summary unless
                                            its digest is still D
    GET  /api/compare?run=A&run=B           runs side by side
    POST /api/runs/NAME/nudge               {"lr_factor": F} or {"set": {KEY: VALUE}}, a pbt
                                            run's with "trial": T
    POST /api/runs/NAME/rollback            {"trial": T, "epoch": E, "set": {KEY: VALUE}}

A request that changes a run must carry the token printed at start (header X-Hpsearch-Token),
else 403; it goes through the functions `hpsearch nudge` and `hpsearch rollback` use, and their
UserError comes back as 400 with its one line. On a loopback address, requests naming another
host are refused (a web page elsewhere cannot reach the dashboard by rebinding its DNS name).
"""

from __future__ import annotations

import errno
import gzip
import hmac
import ipaddress
import json
import math
import secrets
import socket
import socketserver
import threading
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from ..config import parse_override
from ..errors import UserError
from ..modes.steer import request_nudge, request_rollback
from . import page
from .data import dumps, poll
from .folder import check_folder, listing, open_view, side_by_side

TOKEN_HEADER = "X-Hpsearch-Token"


class Dashboard(ThreadingHTTPServer):
    """Serves the runs of `folder`; `url` is the address to open (with the token)."""

    daemon_threads = True

    def __init__(self, folder, host: str = "127.0.0.1", port: int = 8080, poll_ms: int = 1000):
        self.plotly_version = page.plotly_js()[0]
        self.folder = check_folder(folder)
        self.token = secrets.token_urlsafe(18)
        self.files = page.served()
        self.poll_ms = poll_ms  # how often the page asks what changed
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            super().__init__((host, port), Handler)
        except OSError as e:
            raise _bind_error(e, host, port) from None
        self.host, self.port = host, self.server_address[1]
        self.local = _loopback(host)
        shown = f"[{host}]" if ":" in host else host
        self.hosts = {f"{name}:{self.port}" for name in (shown, "localhost", "127.0.0.1", "[::1]")}
        self.url = f"http://{shown}:{self.port}/?token={self.token}"

    def start(self) -> threading.Thread:
        """Serve in a background thread (tests, notebooks); `stop()` ends it."""
        thread = threading.Thread(target=self.serve_forever, daemon=True)
        thread.start()
        return thread

    def stop(self):
        self.shutdown()
        self.server_close()

    def server_bind(self):
        """Bind without HTTPServer's reverse DNS lookup of the host (slow where DNS is)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        pass  # a browser that went away mid-answer; bugs are reported by the handler itself


class Handler(BaseHTTPRequestHandler):
    server: Dashboard
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass  # the terminal shows the address and errors, not every poll

    # -- dispatch ----------------------------------------------------------------------------
    def do_GET(self):
        self._answer(self._get)

    def do_POST(self):
        self.close_connection = True  # whatever is answered, no unread body is left behind
        self._answer(self._post)

    def _answer(self, route):
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        parts = [unquote(p) for p in url.path.split("/") if p]
        try:
            if self.server.local and self.headers.get("Host", "") not in self.server.hosts:
                raise Refusal(HTTPStatus.FORBIDDEN, "this dashboard answers to localhost only")
            route(parts, query)
        except Refusal as e:
            self._json({"error": e.message}, e.status)
        except UserError as e:
            self._json({"error": e.message}, HTTPStatus.BAD_REQUEST)
        except LookupError:
            self._json({"error": f"no such page or run: {url.path}"}, HTTPStatus.NOT_FOUND)
        except (ConnectionError, TimeoutError):
            pass
        except Exception as e:  # a bug of ours: the page says so, the terminal has the trace
            traceback.print_exc()
            self._json({"error": f"internal error: {e}"}, HTTPStatus.INTERNAL_SERVER_ERROR)

    def _get(self, parts, query):
        folder = self.server.folder
        if not parts:
            token = query.get("token", [""])[0]
            mine = hmac.compare_digest(token, self.server.token)
            server = self.server
            body = page.live_page(
                token if mine else None, str(folder), server.plotly_version, server.poll_ms
            )
            return self._send(body.encode(), "text/html; charset=utf-8")
        if parts[0] == "assets" and len(parts) == 2 and parts[1] in self.server.files:
            data, kind = self.server.files[parts[1]]
            return self._send(data, kind, encoded=True, cache=True)
        if parts[:2] == ["api", "runs"] and len(parts) == 2:
            return self._json(listing(folder))
        if parts[:2] == ["api", "runs"] and len(parts) == 3:
            return self._json(open_view(folder, parts[2]).meta())
        if parts[:2] == ["api", "runs"] and len(parts) == 4 and parts[3] == "poll":
            first = {k: v[0] for k, v in query.items() if k in ("trials", "curves", "summary")}
            return self._json(poll(open_view(folder, parts[2]), **first))
        if parts == ["api", "compare"]:
            return self._json(side_by_side([open_view(folder, n) for n in query.get("run", [])]))
        raise LookupError(self.path)

    def _post(self, parts, query):
        if len(parts) != 4 or parts[:2] != ["api", "runs"] or parts[3] not in STEER:
            raise LookupError(self.path)
        given = self.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.server.token.encode()):
            raise Refusal(
                HTTPStatus.FORBIDDEN,
                f"refused: a change to a run needs the token hpsearch dashboard printed "
                f"(header {TOKEN_HEADER})",
            )
        body = self._body()
        open_view(self.server.folder, parts[2])  # a run of this folder, or 404
        message = STEER[parts[3]](self.server.folder / parts[2], body)
        self._json({"message": message})

    # -- answers -----------------------------------------------------------------------------
    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(min(length, 1 << 16)) or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise UserError("the request is not a JSON object", fix="send the page's form")
        return body

    def _json(self, value, status=HTTPStatus.OK):
        self._send(dumps(value).encode(), "application/json", status=status)

    def _send(self, data: bytes, kind: str, status=HTTPStatus.OK, encoded=False, cache=False):
        gzipped = "gzip" in self.headers.get("Accept-Encoding", "")
        if not encoded and gzipped and len(data) > 1400:  # big first polls: fast over slow
            data, encoded = gzip.compress(data, 1 if len(data) > 1 << 18 else 6), True
        elif encoded and not gzipped:
            data, encoded = gzip.decompress(data), False
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "max-age=86400" if cache else "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if encoded:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        self.wfile.write(data)


class Refusal(Exception):
    def __init__(self, status: HTTPStatus, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _nudge(path: Path, body: dict) -> str:
    changes = _changes(body.get("set"))
    given = body.get("trial")  # a pbt run's trial
    trial = _whole(given, "trial") if given not in (None, "") else None
    return request_nudge(path, body.get("lr_factor"), changes, trial)


def _rollback(path: Path, body: dict) -> str:
    trial, epoch = (_whole(body.get(k), k) for k in ("trial", "epoch"))
    return request_rollback(path, trial, epoch, _changes(body.get("set")))


STEER = {"nudge": _nudge, "rollback": _rollback}


def _changes(given) -> dict:
    """Form values (text) read as YAML, as `--set KEY=VALUE` reads them."""
    if not given:
        return {}
    if not isinstance(given, dict):
        raise UserError("`set` is not a mapping", key="set", fix='send {"KEY": "VALUE"}')
    return dict(parse_override(f"{k}={v}") for k, v in given.items())


def _whole(value, key) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (number >= 0 and number.is_integer()):
        raise UserError(
            f"'{value or ''}' is not a whole number >= 0",
            key=key,
            fix=f"give the {key}, such as 3",
        )
    return int(number)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _bind_error(e: OSError, host: str, port: int) -> UserError:
    if e.errno == errno.EADDRINUSE:
        return UserError(
            f"port {port} is in use",
            key="--port",
            fix="stop what uses it, or pick another port (--port 8081; --port 0 takes a free one)",
        )
    if e.errno == errno.EACCES:
        return UserError(
            f"no permission to listen on port {port}", key="--port", fix="use a port above 1023"
        )
    reason = e.strerror or str(e)
    return UserError(
        f"cannot listen on {host}: {reason}",
        key="--host",
        fix="give an address of this machine, such as 127.0.0.1 (the default)",
    )
