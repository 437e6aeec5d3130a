"""Serving benchmark: our pages against Datasette's, on one SQLite file, measured with wrk.

    .venv/bin/python bench/serving.py            # what `make bench` runs

Both servers read the same file, var/bench/shared.sqlite3: a copy of the benchmark catalogue
(the real fixtures plus 100,000 synthetic codes, var/bench/catalog.sqlite3, built here with
`manage.py generate_synthetic_catalog` when missing), migrated to the current schema, with one
table added: the FTS5 index that Datasette's `?_search=` needs on codes_codeprocedure. Our
site runs under gunicorn as the project runs it (gunicorn.conf.py); Datasette runs from its
own virtual environment with its defaults and a 5-second SQL time limit.

For each URL: wrk's requests per second, p50 and p99 latency (medians of N runs), errors,
the server's CPU time per request, the peak resident memory (VmHWM) of the processes that
serve it, and how busy the rest of the machine was. "Cached" rows are the site as it runs
(anonymous pages come from its page cache, codes/cache.py); "uncached" rows give every request
its own query string (bench/wrk/unique.lua), so every one misses the page cache (a code
page's article, rendered once per content change, is then served from the cache of
articles, as for a logged-in reader); the "cold" row asks for a different code each request
(bench/wrk/cold_codes.lua), so every one renders the page from the database, as the first
request for each page after an edit or an import does. Each run starts on
a quiet machine: the script waits for the previous run's queued requests to drain and for
other work to stop (up to --quiet-wait seconds).

The report is Markdown on stdout (progress goes to stderr). The exit status is non-zero only
when the benchmark itself fails (a server does not start, a page does not answer 200, wrk
breaks), never because a target is missed. Standard library only: it runs with .venv/bin/python.
"""

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import resource
import secrets
import shlex
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRK_SCRIPTS = ROOT / "bench" / "wrk"
VAR_BENCH = ROOT / "var" / "bench"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
# The published codes of the shared catalogue, one a line, for bench/wrk/cold_codes.lua.
COLD_CODES = VAR_BENCH / "published_codes.txt"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"

CATALOG_CODES = 100_000
CODE = "64868"
SEARCHES = ["tongue nerve", "graft"]
TABLE = "codes_codeprocedure"
FTS_TABLE = f"{TABLE}_fts"
# The columns of codes_codeprocedure that our own index draws from (codes/search/schema.py),
# with the same tokenizer. Our index also holds nerve, specialty, modifier and section names
# from the linked tables, which a table search in Datasette cannot reach.
FTS_COLUMNS = [
    "code",
    "title",
    "search_terms",
    "summary",
    "plain_language",
    "procedure_description",
    "medical_necessity",
    "documentation",
    "coding_notes",
]
FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"

# The targets from the issue.
SPEEDUP_TARGET = 3.0
STATIC_SHARE_TARGET = 0.70
WORKER_MB_TARGET = 150

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
QUIET_SHARE = 0.10  # the machine counts as quiet below 10% busy


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def read_only(path):
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def query_one(path, sql, params=()):
    connection = read_only(path)
    try:
        return connection.execute(sql, params).fetchone()
    finally:
        connection.close()


# Inputs ---------------------------------------------------------------------------------


def manage(*arguments, env, database, check=True):
    """Run a manage.py command against one SQLite file."""
    env = env | {"DATABASE_URL": f"sqlite:///{database}"}
    return subprocess.run(
        [str(VENV_PYTHON), "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        check=check,
        capture_output=not check,
    )


def ensure_catalog(catalog, env):
    """Build the synthetic catalogue with the project's own command if it is missing."""
    if catalog.exists():
        return
    log(f"{catalog} is missing: building it ({CATALOG_CODES:,} codes, a few minutes)")
    catalog.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            str(VENV_PYTHON),
            "manage.py",
            "generate_synthetic_catalog",
            "--count",
            str(CATALOG_CODES),
            "--database-url",
            f"sqlite:///{catalog}",
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )


def ensure_shared_copy(catalog, shared, env, rebuild=False):
    """Copy the catalogue (only reading it), bring the copy to the current migrations and
    add Datasette's FTS index. A copy newer than the catalogue and up to date is reused."""
    if (
        not rebuild
        and shared.exists()
        and shared.stat().st_mtime >= catalog.stat().st_mtime
        and query_one(shared, "SELECT 1 FROM sqlite_master WHERE name = ?", (FTS_TABLE,))
        and query_one(shared, "SELECT 1 FROM codes_release WHERE kind = 'ncci_ptp'")
        and manage("migrate", "--check", env=env, database=shared, check=False).returncode == 0
    ):
        return
    log(f"copying {catalog.name} to {shared.name} and adding {FTS_TABLE} for Datasette")
    partial = shared.with_name(shared.name + ".partial")
    for stale in (partial, *sidecars(partial)):
        stale.unlink(missing_ok=True)
    source, copy = read_only(catalog), sqlite3.connect(partial)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    # `make` rebuilds the catalogue when the migrations change; run alone, this script may
    # meet an older one, and the site's code needs the current schema.
    manage("migrate", "--noinput", "-v0", env=env, database=partial)
    # The code page as readers get it: with the Medicare panel and the billing edits of the
    # project's CMS fixtures (as `make setup` imports them), not "not yet verified".
    manage("import_cms_pfs", "fixtures/cms/rvu25d", "-v0", env=env, database=partial)
    manage(
        "import_cms_edits", "fixtures/cms/ncci-2024-07", "--keep-existing", "-v0",
        env=env, database=partial,
    )  # fmt: skip
    copy = sqlite3.connect(partial)
    try:
        # External content: Datasette finds the index by its content="…" option.
        copy.execute(
            f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({', '.join(FTS_COLUMNS)}, "
            f'content="{TABLE}", content_rowid="id", tokenize="{FTS_TOKENIZER}")'
        )
        copy.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('rebuild')")
        copy.commit()
        copy.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        copy.close()
    for stale in sidecars(shared):
        stale.unlink(missing_ok=True)
    os.replace(partial, shared)


def sidecars(path):
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def match_counts(database, words):
    """How many codes each server's full-text index matches for the words."""
    ours = query_one(
        database,
        "SELECT count(*) FROM codes_searchentry WHERE codes_searchentry MATCH ?",
        (words,),
    )[0]
    # Datasette's default search mode quotes each word: "tongue" "nerve".
    quoted = " ".join(f'"{word}"' for word in words.split())
    theirs = query_one(
        database, f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?", (quoted,)
    )[0]
    return ours, theirs


# Processes ------------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_pids(pid):
    """The children of every thread of `pid` (gunicorn's master starts the case check's
    reader from a thread of its own)."""
    try:
        return [
            int(child)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    except OSError:
        return []


def own_and_reaped_ticks(pid):
    """CPU ticks a process used, plus those of the children it has reaped."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    # After the name: utime, stime, cutime, cstime are fields 14-17 of stat(5).
    return sum(int(value) for value in fields[11:15])


def memory_kib(pid):
    """VmHWM (peak resident) of a process in KiB, or None once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def machine_ticks():
    """(busy, total) CPU ticks of the whole machine since boot."""
    with open("/proc/stat") as stat:
        values = [int(value) for value in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    total = sum(values[:8])  # guest time is already counted in user time
    return total - idle, total


@dataclass
class Server:
    name: str
    command: list
    env: dict
    log_path: Path
    ready_path: str
    port: int
    forks_workers: bool = False
    process: subprocess.Popen = None

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        log(f"starting {self.name}: {shlex.join(self.command)}")
        with open(self.log_path, "wb") as output:
            # Its own session, so stop() can end the server and every worker it forked.
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start-up:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base_url + self.ready_path, timeout=5):
                    return
            except OSError:
                time.sleep(0.25)
        raise RuntimeError(f"{self.name} did not answer within 60 s:\n{self.log_tail()}")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        log(f"stopping {self.name}")
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass

    def serving_pids(self):
        """The processes that answer requests: gunicorn's workers, or the server itself."""
        if self.process is None or self.process.poll() is not None:
            return []
        return child_pids(self.process.pid) if self.forks_workers else [self.process.pid]

    def cpu_ticks(self):
        """CPU used by the server and all its workers, including workers already recycled."""
        if self.process is None:
            return 0
        pid = self.process.pid
        return own_and_reaped_ticks(pid) + sum(
            own_and_reaped_ticks(child) for child in child_pids(pid)
        )

    def log_tail(self, lines=30):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class MemorySampler:
    """Polls the serving processes' VmHWM, so that a gunicorn worker recycled by
    max_requests is seen before it exits. Keeps each process's peak, and the peak within
    the current window (one row of the report)."""

    def __init__(self, servers, interval=0.25):
        self.servers = servers
        self.interval = interval
        self.peak_kib = {}  # (server name, pid) -> highest VmHWM seen
        self.window_kib = {}  # server name -> highest VmHWM seen since reset_window()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stopping.wait(self.interval):
            self.sample()

    def sample(self):
        for server in self.servers:
            for pid in server.serving_pids():
                kib = memory_kib(pid)
                if kib is None:
                    continue
                with self.lock:
                    key = (server.name, pid)
                    self.peak_kib[key] = max(self.peak_kib.get(key, 0), kib)
                    self.window_kib[server.name] = max(self.window_kib.get(server.name, 0), kib)

    def reset_window(self):
        self.sample()
        with self.lock:
            self.window_kib = {}

    def window_peak_mb(self, server_name):
        self.sample()
        with self.lock:
            return self.window_kib.get(server_name, 0) / 1024

    def peaks_mb(self, server_name):
        with self.lock:
            return sorted(
                (kib / 1024 for (name, _), kib in self.peak_kib.items() if name == server_name),
                reverse=True,
            )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join()


def wait_until_quiet(max_wait):
    """Wait for the machine to go quiet: the last run's queued requests drained and no
    other work running. Returns the seconds waited, or None if it never went quiet."""
    started = time.monotonic()
    quiet_samples = 0
    before = machine_ticks()
    while time.monotonic() - started < max_wait:
        time.sleep(0.5)
        after = machine_ticks()
        busy = (after[0] - before[0]) / max(1, after[1] - before[1])
        before = after
        quiet_samples = quiet_samples + 1 if busy < QUIET_SHARE else 0
        if quiet_samples >= 2:
            return time.monotonic() - started
    return None


# wrk ------------------------------------------------------------------------------------


@dataclass
class Case:
    key: str
    page: str
    server: Server
    path: str
    unique: bool = False
    # A different code each request (bench/wrk/cold_codes.lua): no page or article kept.
    cold: bool = False
    runs: list = field(default_factory=list)
    peak_mb: float = 0.0
    alone_ms: float = 0.0

    @property
    def url(self):
        return self.server.base_url + self.path

    @property
    def shown_path(self):
        if self.cold:
            return "/codes/<a different code each request>/?n=<unique>"
        if not self.unique:
            return self.path
        return self.path + ("&" if "?" in self.path else "?") + "n=<unique>"

    def median(self, name):
        """The median over the runs; latencies only over runs that finished a request."""
        runs = self.runs if name == "rps" else [run for run in self.runs if run["requests"]]
        return statistics.median(run[name] for run in runs) if runs else None

    @property
    def shown_command(self):
        first = self.runs[0]
        return (
            first["command"].replace(first["nonce"], "NONCE") if self.unique else first["command"]
        )

    @property
    def finished_none(self):
        return self.total("requests") == 0

    def total(self, name):
        return sum(run[name] for run in self.runs)


def wrk_command(args, case, duration):
    script = WRK_SCRIPTS / (
        "cold_codes.lua" if case.cold else "unique.lua" if case.unique else "report.lua"
    )
    command = [
        args.wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration}s",
        f"--timeout={args.timeout}s",
        "--latency",
        "-s",
        str(script.relative_to(ROOT)),
        case.url,
    ]
    if case.unique:
        command += ["--", secrets.token_hex(4)]  # a new set of query strings per run
    if case.cold:
        command.append(str(COLD_CODES))
    return command


def run_wrk(command, duration, server=None):
    """Run wrk; return its numbers, with the CPU the server and the rest of the machine used."""
    server_before = server.cpu_ticks() if server else 0
    machine_before = machine_ticks()
    own_before = cpu_seconds(resource.RUSAGE_SELF) + cpu_seconds(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=duration + 120, check=False
    )
    own = cpu_seconds(resource.RUSAGE_SELF) + cpu_seconds(resource.RUSAGE_CHILDREN) - own_before
    machine_after = machine_ticks()
    server_seconds = ((server.cpu_ticks() if server else 0) - server_before) / CLOCK_TICKS
    for line in result.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            data = json.loads(line.removeprefix("WRK_JSON "))
            break
    else:
        raise RuntimeError(
            f"wrk printed no result (exit {result.returncode}):\n{result.stdout}{result.stderr}"
        )
    busy = (machine_after[0] - machine_before[0]) / CLOCK_TICKS
    total = (machine_after[1] - machine_before[1]) / CLOCK_TICKS
    # What neither the server, wrk nor this script used: other work on the machine.
    other = max(0.0, busy - server_seconds - own)
    return {
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "errors": sum(data[name] for name in ("connect", "read", "write", "status", "timeout")),
        "requests": data["requests"],
        "server_cpu_s": server_seconds,
        "other_share": other / total if total else 0.0,
    }


def cpu_seconds(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def fetch(case, tag):
    """One request alone: (status, body size, seconds). Unique rows get their own query."""
    url = case.url + (("&" if "?" in case.path else "?") + f"n={tag}" if case.unique else "")
    if case.cold:  # a published code of the catalogue, most likely never asked for yet
        code = secrets.choice(COLD_CODES.read_text().split())
        url = f"{case.server.base_url}/codes/{code}/?n={tag}"
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            status, size = response.status, len(response.read())
    except urllib.error.HTTPError as error:
        status, size = error.code, 0
    return url, status, size, time.perf_counter() - started


def check_page(case):
    """Each measured URL must answer 200 with a body, or its numbers would mean nothing.
    Then the median time of 3 requests one at a time, on an otherwise idle server."""
    url, status, size, _ = fetch(case, "check")  # also fills our page cache
    if status != 200 or size == 0:
        raise RuntimeError(
            f"{url} answered {status} ({size} bytes); expected 200 with a body. "
            f"The end of {case.server.name}'s log:\n{case.server.log_tail()}"
        )
    nonce = secrets.token_hex(4)
    case.alone_ms = 1000 * statistics.median(
        fetch(case, f"alone-{nonce}-{number}")[3] for number in range(3)
    )
    return size


def measure(args, cases, sampler, cache_dir):
    for case in cases:
        # Each row starts from an empty page cache: the uncached rows write an entry per
        # request, and a fuller cache directory makes every later write slower (the file
        # cache lists it to decide whether to cull).
        wait_or_warn(args)
        shutil.rmtree(cache_dir, ignore_errors=True)
        size = check_page(case)
        log(f"{case.key}: {case.url} ({size:,} bytes)")
        # Warm-up: fills our page cache, opens connections, reads SQLite pages into memory.
        run_wrk(wrk_command(args, case, args.warmup), args.warmup)
        sampler.reset_window()
        for number in range(1, args.runs + 1):
            case.runs.append(quiet_run(args, case, number))
        case.peak_mb = sampler.window_peak_mb(case.server.name)


def quiet_run(args, case, number):
    """One measured run. On a shared machine other work can start mid-run: such a run is
    repeated (up to --retries times) and the quietest attempt kept."""
    attempts = []
    for attempt in range(args.retries + 1):
        wait_or_warn(args)
        command = wrk_command(args, case, args.duration)
        result = run_wrk(command, args.duration, case.server) | {
            "command": shlex.join(command),
            "nonce": command[-1] if case.unique else "",
        }
        attempts.append(result)
        log(
            f"  run {number}: {result['rps']:.1f} req/s, p50 {result['p50_ms']:.1f} ms, "
            f"p99 {result['p99_ms']:.1f} ms, {result['errors']} errors, "
            f"other load {result['other_share']:.0%}"
            + (f" (attempt {attempt + 1})" if attempt else "")
        )
        if result["other_share"] <= args.max_other:
            break
    return min(attempts, key=lambda result: result["other_share"])


def wait_or_warn(args):
    if wait_until_quiet(args.quiet_wait) is None:
        log(f"warning: the machine was still busy after {args.quiet_wait} s; measuring anyway")


# Report ---------------------------------------------------------------------------------


def fmt(value, digits=1):
    return f"{value:,.{digits}f}"


def versions(datasette, wrk):
    with urllib.request.urlopen(datasette.base_url + "/-/versions.json", timeout=10) as response:
        data = json.load(response)
    wrk_banner = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False).stdout
    return {
        "datasette": data["datasette"]["version"],
        "datasette_sqlite": data["sqlite"]["version"],
        "django": importlib.metadata.version("django"),
        "gunicorn": importlib.metadata.version("gunicorn"),
        "whitenoise": importlib.metadata.version("whitenoise"),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": wrk_banner.split("[")[0].strip() or "wrk",
    }


@dataclass
class Comparison:
    name: str
    ours: str
    theirs: str
    target: str
    kind: str  # "speed": ≥ 3x; "speed+p99": ≥ 3x and lower p99; "static": ≥ 70%

    def row(self, ours, theirs, longest_s):
        """The Markdown cells: req/s ratio, p99 ratio, target, verdict."""
        goal = STATIC_SHARE_TARGET if self.kind == "static" else SPEEDUP_TARGET
        if theirs.finished_none:
            # Nothing finished in all the runs: fewer than one request per `longest_s`.
            speed = ours.median("rps") * longest_s
            shown, p99 = f"> {speed:,.0f}x", "—"
        else:
            speed = ours.median("rps") / theirs.median("rps")
            shown = f"{speed:.2f}x"
            p99 = f"{ours.median('p99_ms') / theirs.median('p99_ms'):.2f}"
        missed = [] if speed >= goal else [f"{speed / goal:.0%} of the req/s target"]
        if (
            self.kind == "speed+p99"
            and not theirs.finished_none
            and ours.median("p99_ms") >= theirs.median("p99_ms")
        ):
            missed.append("p99 not lower")
        verdict = f"**no** ({', '.join(missed)})" if missed else "yes"
        return f"| {self.name} | {shown} | {p99} | {self.target} | {verdict} |"


def report(args, cases, comparisons, sampler, info):
    by_key = {case.key: case for case in cases}
    longest_s = args.runs * args.duration
    lines = [
        f"## Serving: our pages against Datasette ({info['date']})",
        "",
        f"Command: `{info['command']}`",
        "",
        f"Machine: {os.cpu_count()} cores. Ours: Python {info['python']}, SQLite "
        f"{info['sqlite']}, Django {info['django']}, gunicorn {info['gunicorn']} "
        f"({info['workers']} workers x {info['threads']} threads, gthread, gunicorn.conf.py), "
        f"whitenoise {info['whitenoise']}"
        + (f", GUNICORN_CMD_ARGS=`{info['cmd_args']}`" if info["cmd_args"] else "")
        + f". Datasette {info['datasette']} (SQLite "
        f"{info['datasette_sqlite']}), `--setting sql_time_limit_ms 5000`, defaults otherwise. "
        f"{info['wrk']}.",
        "",
        f"Both servers read `{info['database']}` ({info['codes']:,} codes). Each row: wrk "
        f"`-t{args.threads} -c{args.connections} -d{args.duration}s --timeout {args.timeout}s "
        f"--latency` after a {args.warmup} s warm-up; req/s, p50 and p99 are the medians of "
        f"{args.runs} runs, errors and requests their sums.",
        "",
        "| page | server | URL | req/s | p50 ms | p99 ms | errors | requests | alone ms "
        "| server CPU ms/req | peak RSS MB | other load |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for case in cases:
        requests = case.total("requests")
        if case.finished_none:
            rps, p50, p99, cpu_ms = f"0 (none in {longest_s} s)", "—", "—", "—"
        else:
            rps, p50, p99 = (fmt(case.median(name)) for name in ("rps", "p50_ms", "p99_ms"))
            cpu_ms = fmt(1000 * case.total("server_cpu_s") / requests)
        other = max(run["other_share"] for run in case.runs)
        lines.append(
            f"| {case.page} | {case.server.name} | `{case.shown_path}` | {rps} | {p50} | {p99} "
            f"| {case.total('errors')} | {requests:,} | {fmt(case.alone_ms)} | {cpu_ms} "
            f"| {fmt(case.peak_mb, 0)} | {other:.0%} |"
        )
    lines += [
        "",
        "- alone ms: the median time of 3 requests sent one at a time to the idle server.",
        "- server CPU ms/req: CPU time of the server's processes (gunicorn's master and",
        "  workers, or Datasette's one process) during the runs, per finished request.",
        "- peak RSS: the highest VmHWM of a serving process (one gunicorn worker, or the",
        "  Datasette process) up to the end of the row.",
        "- other load: the largest share of the machine's CPU used by anything but the",
        "  server, wrk and this script during a kept run (0% on a quiet machine). A run with",
        f"  more than {args.max_other:.0%} is repeated, up to {args.retries} times, and the"
        " quietest kept.",
        "",
        "### Ratios and targets",
        "",
        "| comparison | req/s ours / theirs | p99 ours / theirs | target | met |",
        "| --- | ---: | ---: | --- | --- |",
        *(
            comparison.row(by_key[comparison.ours], by_key[comparison.theirs], longest_s)
            for comparison in comparisons
        ),
    ]
    workers = sampler.peaks_mb("gunicorn")
    worst = max(workers, default=0)
    verdict = "yes" if worst < WORKER_MB_TARGET else f"**no** ({worst / WORKER_MB_TARGET:.0%})"
    lines += [
        f"| largest gunicorn worker peak RSS | {fmt(worst, 0)} MB | | "
        f"< {WORKER_MB_TARGET} MB each | {verdict} |",
        "",
        f"Memory: {len(workers)} gunicorn worker processes served over the whole run "
        "(max_requests recycles them); their peaks, MB: "
        f"{', '.join(fmt(mb, 0) for mb in workers)}. Datasette's process peaked at "
        f"{fmt(max(sampler.peaks_mb('datasette'), default=0), 0)} MB.",
        "",
    ]
    for words, (ours, theirs) in info["matches"].items():
        lines.append(
            f"- “{words}” matches {ours:,} codes in our index and {theirs:,} in Datasette's "
            f"{FTS_TABLE}."
        )
    lines += [
        "  Ours also indexes nerve names and aliases, specialties, modifiers and sections,",
        "  which live in other tables (“tongue nerve” is an alias of the hypoglossal nerve).",
        "",
        "The wrk command of each row (a uniquely-queried row gets a new nonce per run):",
        "",
        "```sh",
        *(case.shown_command for case in cases),
        "```",
    ]
    return "\n".join(lines)


# Main -----------------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog", type=Path, default=VAR_BENCH / "catalog.sqlite3")
    parser.add_argument("--shared", type=Path, default=VAR_BENCH / "shared.sqlite3")
    parser.add_argument(
        "--datasette",
        type=Path,
        default=VAR_BENCH / "venv-datasette" / "bin" / "datasette",
        help="the datasette program (make bench installs bench/datasette-requirements.txt)",
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the shared copy")
    parser.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per URL")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--timeout", type=int, default=30, help="wrk's request timeout, s")
    parser.add_argument(
        "--quiet-wait", type=int, default=60, help="longest wait for a quiet machine, s"
    )
    parser.add_argument(
        "--max-other",
        type=float,
        default=0.10,
        help="repeat a run during which other work used more than this share of the CPU",
    )
    parser.add_argument("--retries", type=int, default=3, help="repeats of a disturbed run")
    parser.add_argument("--output", type=Path, help="also write the report to this file")
    parser.add_argument(
        "--only", help="measure only these rows, by key, comma-separated (e.g. static,code)"
    )
    return parser.parse_args(argv)


def stop_on_signal(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through main's finally: the servers stop


def write_published_codes(database):
    """The list bench/wrk/cold_codes.lua asks for: every published code (a draft's page is
    a 404, which wrk would count as an error and which costs what a 404 costs)."""
    connection = read_only(database)
    try:
        codes = [row[0] for row in connection.execute(
            "SELECT code FROM codes_codeprocedure WHERE editorial_state = 'published'"
        )]  # fmt: skip
    finally:
        connection.close()
    COLD_CODES.write_text("\n".join(codes) + "\n")


def build_cases(gunicorn, datasette, database, static_path, row_id):
    write_published_codes(database)
    db = database.stem
    cases = [
        Case("static", "static file (whitenoise)", gunicorn, static_path),
        Case("code", "code page, cached", gunicorn, f"/codes/{CODE}/"),
        Case("code-uncached", "code page, uncached", gunicorn, f"/codes/{CODE}/", True),
        Case("code-cold", "code page, cold", gunicorn, "/codes/", True, cold=True),
        Case("row", "row page", datasette, f"/{db}/{TABLE}/{row_id}"),
    ]
    faster = "≥ 3x, lower p99"
    comparisons = [
        Comparison("code page (cached) / row page", "code", "row", faster, "speed+p99"),
        Comparison("code page (uncached) / row page", "code-uncached", "row", faster, "speed+p99"),
        Comparison("code page (cold) / row page", "code-cold", "row", faster, "speed+p99"),
        Comparison("code page (cached) / static file", "code", "static", "≥ 70%", "static"),
    ]
    for words in SEARCHES:
        query = urllib.parse.quote_plus(words)
        key = words.replace(" ", "-")
        search, table = f"/search/?q={query}", f"/{db}/{TABLE}?_search={query}"
        cases += [
            Case(f"search-{key}", f"search “{words}”, cached", gunicorn, search),
            Case(f"search-{key}-uncached", f"search “{words}”, uncached", gunicorn, search, True),
            Case(f"table-{key}", f"table search “{words}”", datasette, table),
            # Datasette's defaults try every column as a facet on each table page (up to
            # 50 ms each); this row shows its search without those suggestions.
            Case(
                f"table-{key}-nosuggest",
                f"table search “{words}”, no facet suggestions",
                datasette,
                table + "&_nosuggest=1",
            ),
        ]
        comparisons += [
            Comparison(
                f"search “{words}” (cached) / table search",
                f"search-{key}",
                f"table-{key}",
                "≥ 3x",
                "speed",
            ),
            Comparison(
                f"search “{words}” (uncached) / table search",
                f"search-{key}-uncached",
                f"table-{key}",
                "≥ 3x",
                "speed",
            ),
            Comparison(
                f"search “{words}” (uncached) / table search, no suggestions",
                f"search-{key}-uncached",
                f"table-{key}-nosuggest",
                "≥ 3x",
                "speed",
            ),
        ]
    return cases, comparisons


def gunicorn_settings(env):
    """The workers and threads gunicorn.conf.py gives on this machine."""
    output = subprocess.run(
        [
            str(VENV_PYTHON),
            "-c",
            "import runpy; c = runpy.run_path('gunicorn.conf.py'); "
            "print(c['workers'], c['threads'])",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return output[0], output[1]


def main(argv=None):
    args = parse_args(argv)
    catalog, shared = args.catalog.resolve(), args.shared.resolve()
    for tool, hint in (
        (Path(args.wrk), "apt-get install -y wrk"),
        (args.datasette, "`make bench` installs it from bench/datasette-requirements.txt"),
    ):
        if not tool.exists():
            raise SystemExit(f"{tool} not found: {hint}")
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGHUP, stop_on_signal)

    tmp = Path(tempfile.mkdtemp(prefix="cpt-bench-"))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(tmp)),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "CACHE_DIR": str(tmp / "cache"),
        "STATIC_ROOT": str(tmp / "static"),
        "DATABASE_URL": f"sqlite:///{shared}",
    }
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_CMD_ARGS"):
        if name in os.environ:
            env[name] = os.environ[name]
    servers = []
    try:
        ensure_catalog(catalog, env)
        ensure_shared_copy(catalog, shared, env, rebuild=args.rebuild)
        log("collecting static files")
        manage("collectstatic", "--noinput", "-v0", env=env, database=shared)
        manifest = json.loads((tmp / "static" / "staticfiles.json").read_text())
        static_path = "/static/" + manifest["paths"]["css/site.css"]
        row = query_one(shared, f"SELECT id FROM {TABLE} WHERE code = ?", (CODE,))
        if row is None:
            raise RuntimeError(f"code {CODE} is not in {shared}")

        gunicorn_port, datasette_port = free_port(), free_port()
        gunicorn = Server(
            name="gunicorn",
            command=[
                str(GUNICORN),
                "--config",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{gunicorn_port}",
            ],
            env=env,
            log_path=tmp / "gunicorn.log",
            ready_path="/healthz",
            port=gunicorn_port,
            forks_workers=True,
        )
        datasette = Server(
            name="datasette",
            command=[
                str(args.datasette),
                "serve",
                str(shared),
                "--host",
                "127.0.0.1",
                "--port",
                str(datasette_port),
                "--setting",
                "sql_time_limit_ms",
                "5000",
            ],
            env={name: env[name] for name in ("PATH", "HOME", "LANG")},
            log_path=tmp / "datasette.log",
            ready_path="/-/versions.json",
            port=datasette_port,
        )
        servers = [gunicorn, datasette]
        for server in servers:
            server.start()
        cases, comparisons = build_cases(gunicorn, datasette, shared, static_path, row[0])
        if args.only:
            keys = set(args.only.split(","))
            cases = [case for case in cases if case.key in keys]
            comparisons = [c for c in comparisons if {c.ours, c.theirs} <= keys]
        with MemorySampler(servers) as sampler:
            measure(args, cases, sampler, tmp / "cache")
        workers, threads = gunicorn_settings(env)
        info = versions(datasette, args.wrk) | {
            "date": datetime.date.today().isoformat(),
            "command": shlex.join([os.path.relpath(sys.executable, ROOT), *sys.argv]),
            "workers": workers,
            "threads": threads,
            "cmd_args": env.get("GUNICORN_CMD_ARGS", ""),
            "database": shared.relative_to(ROOT) if shared.is_relative_to(ROOT) else shared,
            "codes": query_one(shared, f"SELECT count(*) FROM {TABLE}")[0],
            "matches": {words: match_counts(shared, words) for words in SEARCHES},
        }
    finally:
        for server in reversed(servers):
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    text = report(args, cases, comparisons, sampler, info)
    print(text)
    if args.output:
        args.output.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
