"""A static file server that sends the cross-origin isolation headers SharedArrayBuffer needs."""

from __future__ import annotations

import functools
import http.server
import os
import socketserver
import threading
from typing import Any

ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript",
        ".json": "application/json", ".whl": "application/zip",
    }
    isolate = True

    def send_head(self) -> Any:
        # A precompressed twin (tools/build_site.py writes X.gz beside big text and .wasm files), as
        # static hosts serve them: Pyodide's 9.6 MB .wasm crosses the wire as 3.6 MB.
        path = self.translate_path(self.path)
        gz = path + ".gz"
        if "gzip" not in self.headers.get("Accept-Encoding", "") or not os.path.isfile(gz) or os.path.isdir(path):
            return super().send_head()
        f = open(gz, "rb")  # noqa: SIM115 (closed by the caller, as in SimpleHTTPRequestHandler)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(os.fstat(f.fileno()).st_size))
        self.end_headers()
        return f

    def end_headers(self) -> None:
        if self.isolate:
            for k, v in ISOLATION_HEADERS.items():
                self.send_header(k, v)
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib signature)
        pass

    def copyfile(self, source: Any, outputfile: Any) -> None:
        # what each request cost: tests check which files a page fetched, tools sum the bytes
        sent = 0
        while chunk := source.read(1 << 16):
            outputfile.write(chunk)
            sent += len(chunk)
        self.server.served.append((self.path.split("?")[0], sent))


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.served: list[tuple[str, int]] = []  # (path, body bytes) per response, in order


def make_server(directory: str, port: int = 8000, isolate: bool = True,
                host: str = "127.0.0.1") -> http.server.HTTPServer:
    """A server for `directory`; port 0 picks a free port (see `server.server_address`)."""
    handler = type("Handler", (_Handler,), {"isolate": isolate})
    return _Server((host, port), functools.partial(handler, directory=directory))


def serve_in_thread(directory: str, isolate: bool = True) -> tuple[http.server.HTTPServer, str]:
    """Start a server on a free port in a daemon thread; returns (server, base_url)."""
    srv = make_server(directory, 0, isolate)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}/"
