"""A real ``kb serve`` on a free loopback port, as the API tests start it, timed until it answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

STARTED_LINE = "Application startup complete"


@dataclass
class Server:
    process: subprocess.Popen
    base: str
    log_path: Path
    startup_seconds: float  # from spawn until /healthz answered 200 (and every worker said it started)

    def log_tail(self, chars: int = 2000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server and its worker processes."""
        import psutil

        try:
            parent = psutil.Process(self.process.pid)
            processes = [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            return float("nan")
        total = 0.0
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def stop(self) -> None:
        """Stop the server and remove its log (a failed start raises with the log's tail first)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log_path.unlink(missing_ok=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(data_dir: Path, workers: int = 1, timeout: float = 180.0) -> Server:
    """Spawn ``kb serve`` on ``data_dir``; return once ``/healthz`` answers 200 and, with several
    workers, every worker has logged that it started (the first answer comes from one only)."""
    port = free_port()
    env = {**os.environ, "KB_DATA_DIR": str(data_dir)}
    log = tempfile.NamedTemporaryFile(prefix="kb-bench-serve-", suffix=".log", delete=False)  # noqa: SIM115
    command = [sys.executable, "-m", "cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=_repo_root())
    server = Server(process, f"http://127.0.0.1:{port}", Path(log.name), 0.0)
    deadline = started + timeout
    with httpx.Client(timeout=5) as client:
        while time.perf_counter() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"kb serve exited with {process.returncode}: {server.log_tail()}")
            try:
                healthy = client.get(f"{server.base}/healthz").status_code == 200
            except httpx.TransportError:
                healthy = False
            if healthy and server.log_tail(1 << 20).count(STARTED_LINE) >= workers:
                server.startup_seconds = time.perf_counter() - started
                return server
            time.sleep(0.05)
    tail = server.log_tail()
    server.stop()
    raise RuntimeError(f"kb serve did not answer within {timeout:.0f} s: {tail}")


def _repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
