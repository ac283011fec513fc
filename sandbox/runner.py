"""Starts the Shopify and QuickBooks emulators on local ports, over real HTTP.

Used by ``manage.py sandbox``, by ``bin/demo`` and by the tests (in-process, on
free ports). Each emulator is a WSGI app object with ``set_base_url(url)`` and
``describe() -> dict``; see sandbox/shopify/emulator.py and sandbox/qbo/emulator.py.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server


@dataclass
class RunningServer:
    server: BaseWSGIServer
    thread: threading.Thread
    base_url: str

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_in_thread(app: Any, *, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    server = make_server(host, port, app, threaded=True)
    # Request threads are joined by server_close(): a test or the demo that stops a
    # sandbox never leaves a request half-served while the interpreter exits.
    server.daemon_threads = False
    base_url = f"http://{host}:{server.port}"
    thread = threading.Thread(target=server.serve_forever, name=f"sandbox-{server.port}", daemon=True)
    thread.start()
    return RunningServer(server=server, thread=thread, base_url=base_url)


@dataclass
class Sandboxes:
    shopify: Any
    qbo: Any
    servers: list[RunningServer] = field(default_factory=list)

    @property
    def info(self) -> dict[str, Any]:
        """The contract line: what scripts and tests need to reach the emulators."""
        shopify = self.shopify.describe()
        qbo = self.qbo.describe()
        return {
            "shopify": self.servers[0].base_url,
            "qbo": self.servers[1].base_url,
            "app": shopify["app"],
            "shops": shopify["shops"],
            "qbo_app": qbo["app"],
            "qbo_companies": qbo["companies"],
        }

    def stop(self) -> None:
        for running in self.servers:
            running.stop()
        for emulator in (self.shopify, self.qbo):
            close = getattr(emulator, "close", None)
            if close:
                close()


def start_sandboxes(
    *,
    shopify_port: int = 0,
    qbo_port: int = 0,
    state_dir: Path | None = None,
    app_url: str | None = None,
    seed: int = 0,
    shopify_options: dict[str, Any] | None = None,
    qbo_options: dict[str, Any] | None = None,
    quiet: bool = True,
) -> Sandboxes:
    if quiet:
        # One log line per request drowns test output; the sandbox command keeps them.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from sandbox.qbo.emulator import QBOEmulator
    from sandbox.shopify.emulator import ShopifyEmulator

    shopify = ShopifyEmulator(state_dir=state_dir, app_url=app_url, seed=seed, **(shopify_options or {}))
    qbo = QBOEmulator(state_dir=state_dir, seed=seed, **(qbo_options or {}))
    sandboxes = Sandboxes(shopify=shopify, qbo=qbo)
    for app, port in ((shopify, shopify_port), (qbo, qbo_port)):
        running = serve_in_thread(app, port=port)
        app.set_base_url(running.base_url)
        sandboxes.servers.append(running)
    return sandboxes
