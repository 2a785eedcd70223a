"""The web survey under load: 50 respondents at once answering the officials questionnaire
through HTTP, against a real threaded server (werkzeug's, as `cips run` and `cips web` serve).

The app runs in a process of its own; a WSGI wrapper there times each request and returns the
time in a `Server-Timing` header. Each respondent is a client thread with its own cookies: it
opens `/s/<code>`, starts, consents, then answers `--answers` questions (or all), each answer a
form post (the engine's transaction) followed by the page of the next question (post/redirect/
get), after `--think` seconds on average to read and choose (0: as fast as the server allows,
which measures its capacity; people take several seconds per question). Printed per backend:
the server time per answer (the post) and per answer with its next page (post + get), median,
p95 and maximum, the processor time of the post's thread (what the app itself spends, whatever
the load: the rest is waiting for the database and for a core), the answers per second overall,
with the machine and its load average (other work on the machine shows in the figures).

Run: `python -m bench.web_respondents [--respondents 50] [--answers 30]`.
"""

from __future__ import annotations

import argparse
import html
import http.client
import multiprocessing
import os
import random
import re
import socket
import statistics
import threading
import time
import urllib.parse

from sqlalchemy import select

from bench import backends, machine
from survey.campaigns import create_administration, create_campaign
from survey.loader import load_questionnaires
from survey.storage.db import Database
from survey.storage.migrate import upgrade
from survey.storage.models import Administration

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
QUESTION = re.compile(r'name="q" value="([^"]+)"')
OPTION = re.compile(r'name="value" id="option-\d+" value="([^"]+)"')
INPUT = re.compile(r'<(?:input type="text" inputmode="decimal"|textarea) name="text"')
CHECKBOX = re.compile(r'type="checkbox" name="value"')


class Timed:
    """WSGI wrapper: the app's time for the request and the processor time its thread used (the
    part that does not wait for the database, the other threads or other processes), in a
    Server-Timing header (ms)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        started, cpu = time.perf_counter(), time.thread_time()

        def timed_start(status, headers, exc_info=None):
            elapsed = (time.perf_counter() - started) * 1000
            used = (time.thread_time() - cpu) * 1000
            timing = f"app;dur={elapsed:.2f}, cpu;dur={used:.2f}"
            return start_response(status, [*headers, ("Server-Timing", timing)], exc_info)

        body = self.app(environ, timed_start)
        try:
            return [b"".join(body)]  # the whole page made before the time is taken
        finally:
            if hasattr(body, "close"):
                body.close()


def serve(url: str, port: int) -> None:
    from werkzeug.serving import make_server

    os.environ["CIPS_WEB_INSECURE_COOKIES"] = "1"
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    from web import create_app

    app = create_app({"DATABASE_URL": url})
    make_server("127.0.0.1", port, Timed(app), threaded=True).serve_forever()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int) -> None:
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


class Browser:
    """One respondent's cookies and requests."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.page = ""
        self.cpu: list[float] = []

    def request(self, method: str, path: str, form: dict | None = None) -> list[float]:
        """The request and the redirect it leads to: the server's time of each, in ms (the
        processor time of each is added to `self.cpu`)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        self.page = response.read().decode()
        connection.close()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookie = rest.split(";", 1)[0]
                if cookie and "Expires=Thu, 01 Jan 1970" not in value:
                    self.cookies[key] = cookie
                else:
                    self.cookies.pop(key, None)
        timing = dict(
            part.strip().split(";dur=")
            for part in response.getheader("Server-Timing", "app;dur=0").split(",")
        )
        server = float(timing["app"])
        self.cpu.append(float(timing.get("cpu", 0)))
        if response.status in (302, 303):
            location = urllib.parse.urlsplit(response.getheader("Location")).path
            return [server, *self.request("GET", location)]
        return [server]

    def csrf(self) -> str:
        return html.unescape(CSRF.search(self.page).group(1))


def respondent(
    port: int, code: str, answers: int, seed: int, posts: list, rounds: list, think: float
) -> None:
    rng = random.Random(seed)
    browser = Browser(port)
    path = f"/s/{code}"
    browser.request("GET", path)
    browser.request("POST", f"{path}/start", {"language": "en", "csrf_token": browser.csrf()})
    browser.request("POST", path, {"b": "c||yes", "csrf_token": browser.csrf()})
    for _ in range(answers):
        if think:
            time.sleep(rng.uniform(0, 2 * think))  # reading and choosing
        question = QUESTION.search(browser.page)
        if question is None:
            return  # finished
        form = {"q": question.group(1), "csrf_token": browser.csrf()}
        options = OPTION.findall(browser.page)
        if CHECKBOX.search(browser.page):
            form["value"] = options[:1]
        elif options:
            form["value"] = rng.choice(options)
        elif INPUT.search(browser.page):
            form["text"] = str(rng.randint(1, 9))
        before = browser.page
        started = time.perf_counter()
        browser.cpu.clear()
        times = browser.request("POST", path, form)
        rounds.append((sum(times), (time.perf_counter() - started) * 1000, browser.cpu[0]))
        posts.append(times[0])
        if browser.page == before:
            raise RuntimeError("an answer was not taken")


def figures(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[int(0.95 * (len(values) - 1))]
    return (
        f"median {statistics.median(values):5.1f} ms, p95 {p95:5.1f} ms, max {values[-1]:6.1f} ms"
    )


def run(name: str, url: str, respondents: int, answers: int, think: float) -> None:
    upgrade(url)
    db = Database(url)
    questionnaire = load_questionnaires()["cips-officials"]
    code = f"bench-web-{time.monotonic_ns()}"
    with db.transaction() as session:
        admin = session.scalar(select(Administration).where(Administration.code == "BW"))
        admin = admin or create_administration(session, "BW", "Bench", "UTC", ["en"])
        create_campaign(session, admin, questionnaire, "2026", code=code)
    db.dispose()
    port = free_port()
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(url, port))
    server.start()
    try:
        wait_for(port)
        posts: list[float] = []
        rounds: list[tuple[float, float]] = []
        threads = [
            threading.Thread(target=respondent, args=(port, code, answers, i, posts, rounds, think))
            for i in range(respondents)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.join(10)
    print(f"{name:<11} {respondents} respondents at once, {think:g} s to think on average, "
          f"{len(posts)} answers in {elapsed:.0f} s "
          f"({len(posts) / elapsed:.0f} answers/s), load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"  server time per answer (post)         {figures(posts)}")
    print(f"  server time, answer + next page        {figures([r[0] for r in rounds])}")
    print(f"  as the client saw it (with the queue)  {figures([r[1] for r in rounds])}")
    print(f"  processor time of the post's thread    {figures([r[2] for r in rounds])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--respondents", type=int, default=50)
    parser.add_argument("--answers", type=int, default=30, help="per respondent (at most)")
    parser.add_argument("--think", default="0,3",
                        help="seconds each respondent takes per question on average (drawn "
                        "from 0 to twice that), one run per value: 0 saturates the server")  # fmt: skip
    parser.add_argument("--backend", choices=["both", "sqlite", "postgresql"], default="both")
    args = parser.parse_args()
    os.environ.setdefault("CIPS_SECRET_KEY", "bench-secret")
    print(f"{machine()}; load average before {os.getloadavg()[0]:.1f}")
    for name, url in backends():
        if args.backend not in ("both", name.lower()):
            continue
        for think in (float(t) for t in args.think.split(",")):
            run(name, url, args.respondents, args.answers, think)


if __name__ == "__main__":
    main()
