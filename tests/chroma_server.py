"""A real `chroma run` server on 127.0.0.1 for tests: started, stopped and restarted on demand."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMA = Path(sys.executable).with_name("chroma")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ChromaServer:
    """One `chroma run` process over a data folder; the port stays the same across restarts."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path = path
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = path.with_name(path.name + ".log")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        command = [str(CHROMA if CHROMA.exists() else shutil.which("chroma") or "chroma")]
        command += ["run", "--path", str(self.path), "--host", self.host, "--port", str(self.port)]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chroma run exited: {self.log.read_text()[-2000:]}")
            if self.alive():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"chroma run did not answer within {timeout:.0f} s")

    def alive(self) -> bool:
        heartbeat = f"{self.url}/api/v2/heartbeat"
        with contextlib.suppress(OSError), urllib.request.urlopen(heartbeat, timeout=1) as reply:
            return bool(reply.status == 200)
        return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@contextlib.contextmanager
def running_server(path: Path) -> Iterator[ChromaServer]:
    if not (CHROMA.exists() or shutil.which("chroma")):
        pytest.skip("the `chroma` command (chromadb) is not installed")
    server = ChromaServer(path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
