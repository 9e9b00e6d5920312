"""``manage.py run_stack`` (the end of ``make run``): web, worker and beat, stopped together.

Runs the real processes on the embedded profile in a var/ of its own, on a free port.
"""

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.brokers import closed_port, wait_until

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stack_env(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("stack-var")
    env = {name: value for name, value in os.environ.items() if name not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(DJANGO_ENV="development", CUSTOS_VAR_DIR=str(var_dir))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        cwd=ROOT, env=env, check=True, timeout=300,
    )
    return env


class Stack:
    def __init__(self, env, tmp_path):
        self.port = closed_port()
        self.stdout_path = tmp_path / "stack.out"
        self.stderr_path = tmp_path / "stack.err"
        self.var_dir = env["CUSTOS_VAR_DIR"]
        with open(self.stdout_path, "w") as stdout, open(self.stderr_path, "w") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "run_stack", "--bind", f"127.0.0.1:{self.port}", "--web-workers", "1"],
                cwd=ROOT, env=env, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL,
                # A group of its own, as a terminal's foreground job: Ctrl-C is sent to the group.
                start_new_session=True,
            )

    def health_status(self) -> int | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return None

    def children(self) -> dict[int, str]:
        """Return the stack's direct children: pid -> command line."""
        pid = self.process.pid
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return {int(child): Path(f"/proc/{child}/cmdline").read_text().replace("\0", " ") for child in listed}

    def survivors(self) -> list[int]:
        """Return the pids of every process still running with this stack's var/ directory."""
        marker = f"CUSTOS_VAR_DIR={self.var_dir}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
        return found

    def output(self) -> tuple[str, str]:
        return self.stdout_path.read_text(), self.stderr_path.read_text()

    def ensure_stopped(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for pid in self.survivors():
            os.kill(pid, signal.SIGKILL)


def _kind(command_line: str) -> str:
    if "gunicorn" in command_line:
        return "web"
    return next((kind for kind in ("worker", "beat") if f" {kind} " in command_line), command_line)


@pytest.fixture
def stack(stack_env, tmp_path):
    running = Stack(stack_env, tmp_path)
    yield running
    running.ensure_stopped()


def test_it_serves_with_a_live_worker_and_ctrl_c_stops_all_three(stack):
    assert wait_until(lambda: stack.health_status() == 200, seconds=90), stack.output()
    assert sorted(_kind(cmd) for cmd in stack.children().values()) == ["beat", "web", "worker"]

    os.killpg(stack.process.pid, signal.SIGINT)

    assert stack.process.wait(timeout=60) == 0
    stdout, _ = stack.output()
    for prefix in ("[web   ] ", "[worker] ", "[beat  ] "):
        assert prefix in stdout
    assert f"Custos is starting on http://127.0.0.1:{stack.port}/ (web, worker and beat)." in stdout
    assert "Demo logins (password for all: " in stdout
    assert stdout.rstrip().endswith("Stopped (SIGINT).")
    assert stack.survivors() == []


def test_when_one_process_dies_the_others_are_stopped_and_it_exits_naming_it(stack):
    assert wait_until(lambda: stack.health_status() == 200, seconds=90), stack.output()
    worker = next(pid for pid, cmd in stack.children().items() if _kind(cmd) == "worker")

    os.kill(worker, signal.SIGKILL)

    assert stack.process.wait(timeout=60) == 1
    _, stderr = stack.output()
    assert "The worker process exited with code -9; the others were stopped." in stderr
    assert stack.survivors() == []
