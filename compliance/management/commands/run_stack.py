"""``manage.py run_stack``: the web server, a Celery worker and Celery beat, together.

This is what ``make run`` ends with. The web server is gunicorn, the same WSGI
server production runs, rather than ``runserver``: several requests are served
at once, there is no autoreloader to restart the process under the worker's
feet, and static files come from WhiteNoise exactly as they will in production.

Each child's output is forwarded line by line behind its name. Ctrl-C (SIGINT)
or SIGTERM stops all three (terminate, wait, kill) and exits 0; if one child
dies on its own, the others are stopped and the command exits 1 naming it.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from compliance.management.commands.seed_demo import demo_password, logins_table

STOP_GRACE_SECONDS = 10


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    reader: threading.Thread | None = field(default=None, repr=False)


def stack_commands(bind: str, workers: int) -> list[Child]:
    """Return the three processes of the stack, started with this interpreter."""
    python = sys.executable
    return [
        Child(
            "web",
            [python, "-m", "gunicorn", "compliance.wsgi:application", "--bind", bind,
             "--workers", str(workers), "--access-logfile", "-", "--graceful-timeout", "5",
             "--no-control-socket"],
        ),
        Child(
            "worker",
            [python, "-m", "celery", "-A", "compliance", "worker", "--loglevel=INFO",
             "--concurrency=2", "-n", "custos@%h"],
        ),
        # The schedule file comes from settings.CELERY_BEAT_SCHEDULE_FILENAME (under var/).
        Child("beat", [python, "-m", "celery", "-A", "compliance", "beat", "--loglevel=INFO"]),
    ]


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat until Ctrl-C."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000", help="Address for the web server (host:port).")
        parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes.")

    def handle(self, *args, **options):
        self._print_lock = threading.Lock()
        self._stop = threading.Event()
        self._stop_reason = ""
        children = stack_commands(options["bind"], options["web_workers"])
        width = max(len(child.name) for child in children)

        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for child in children:
                self._start(child, width)
            self._banner(options["bind"])
            failed = self._watch(children)
        finally:
            self._stop_all(children)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if failed is not None:
            raise CommandError(
                f"The {failed.name} process exited with code {failed.process.returncode}; "
                "the others were stopped. Its last lines are above."
            )
        self._say(f"Stopped ({self._stop_reason}).")

    def _on_signal(self, signum, frame):
        self._stop_reason = signal.Signals(signum).name
        self._stop.set()

    def _say(self, text: str) -> None:
        with self._print_lock:
            self.stdout.write(text)
            self.stdout.flush()

    def _start(self, child: Child, width: int) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        child.process = subprocess.Popen(
            child.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            # Its own process group: Ctrl-C reaches this command only, which then
            # stops the children in order instead of all of them at once.
            process_group=0,
            text=True,
            errors="replace",
        )
        prefix = f"[{child.name:<{width}}] "
        child.reader = threading.Thread(target=self._forward, args=(child.process.stdout, prefix), daemon=True)
        child.reader.start()

    def _forward(self, stream, prefix: str) -> None:
        for line in stream:
            self._say(prefix + line.rstrip("\n"))

    def _banner(self, bind: str) -> None:
        lines = ["", f"Custos is starting on http://{bind}/ (web, worker and beat). Ctrl-C stops all three."]
        if not settings.PRODUCTION:
            lines += [logins_table(demo_password()), ""]
        self._say("\n".join(lines))

    def _watch(self, children: list[Child]) -> Child | None:
        """Wait for a stop signal or a child's death; return the child that died, if any."""
        while not self._stop.wait(0.5):
            for child in children:
                if child.process.poll() is not None:
                    return child
        return None

    def _stop_all(self, children: list[Child]) -> None:
        running = [child for child in children if child.process and child.process.poll() is None]
        for child in running:
            child.process.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in running:
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._say(f"{child.name} did not stop within {STOP_GRACE_SECONDS} s; killing it.")
        for child in children:
            if child.process is None:
                continue
            # Kill the whole group, so no grandchild (gunicorn or pool worker) outlives the stack.
            try:
                os.killpg(child.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            child.process.wait()
            if child.reader is not None:
                child.reader.join(timeout=2)
