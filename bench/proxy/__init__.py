"""What the proxy costs per request under load, beside the mock alone and nginx, in one run.

    python -m bench.proxy                       # every scenario × direct / nginx / cliproxy
    python -m bench.proxy --json                # the same numbers as JSON
    python -m bench.proxy --duration 5 --scenarios openai,openai-stream
    python -m bench.proxy --profile /tmp/prof   # also py-spy the daemon (an extra, unmeasured run)

Set-up, all on loopback: the mock upstream (`tests.support.mock_upstream`, uvloop) and the load tool
(`wrk`, one thread, `--connections` connections, default 50) are pinned to core 1; the proxy under
test (the cliproxy daemon, started with `cliproxyctl start` in a private CLIPROXY_HOME with debug
off, so no access log; or nginx, one worker, as a plain keep-alive reverse proxy) to core 0. The
mock, the daemon and nginx start once and serve every run; each run is one scenario against one
target: a short warm-up load, then the measured load of `--duration` seconds.

Scenarios: an OpenAI chat request passed through to an OpenAI-compatible upstream, non-stream and a
20-event stream; an Anthropic Messages request translated to that OpenAI upstream, non-stream and a
20-event stream. Targets: `direct` (the same request sent straight to the mock, which speaks both
formats), `nginx`, `cliproxy`.

The figure that matters is the proxy process's own CPU time per completed request: utime+stime of
the daemon (or of nginx's master and worker) from /proc/<pid>/stat before and after the measured
load, divided by the requests wrk completed with a 2xx. Requests/s and latency mostly measure the
mock and wrk sharing one core. Also shown: p50/p99 latency (wrk), the mock's CPU per request, and
the proxy's peak resident memory during the load. Before the load each (scenario, target) pair is
sent once and its answer checked (status, text, number of stream events, terminal event).

nginx and wrk are Debian packages; when missing they are installed with apt-get (as root, unless
`--no-install`); without nginx its column is left out. Every process started here is stopped on
exit, on failure and on Ctrl+C.
"""

from bench.proxy.cli import (
    main,
)
from bench.proxy.configs import (
    nginx_modules_without,
    render_daemon_config,
    render_nginx_config,
)
from bench.proxy.load import (
    RESULT_MARKER,
    Load,
    WrkResult,
    lua_quote,
    parse_wrk_output,
    render_wrk_script,
    run_wrk,
)
from bench.proxy.processes import (
    BenchError,
    Processes,
    ensure_tool,
    find_tool,
    free_port,
    pinned,
    stop_pid,
    stop_process,
    wait_port,
)
from bench.proxy.procfs import (
    PeakRss,
    ProcStat,
    children_of,
    core_busy,
    cpu_ms,
    parse_core_times,
    parse_proc_stat,
    parse_vm_rss_kb,
    read_core_times,
    read_stat,
    rss_mb,
)
from bench.proxy.pyspy import (
    ProfileLine,
    profile_daemon,
    top_functions,
)
from bench.proxy.report import (
    print_report,
    summary,
)
from bench.proxy.runs import (
    Row,
    measure,
    probe,
)
from bench.proxy.scenarios import (
    ANTHROPIC_VERSION,
    CLIENT_KEY,
    DEFAULT_CONNECTIONS,
    DEFAULT_DURATION,
    DEFAULT_WARMUP,
    LOAD_CORE,
    MOCK_KEY,
    P99_TARGET_MS,
    PLAIN_MODEL,
    PROXY_CORE,
    REPO,
    RSS_TARGET_MB,
    SCENARIOS,
    STREAM_EVENTS,
    STREAM_MODEL,
    TARGETS,
    Scenario,
    stream_deltas,
)
from bench.proxy.services import (
    Services,
    Target,
    start_daemon,
    start_mock,
    start_nginx,
    start_services,
)

__all__ = [
    "ANTHROPIC_VERSION",
    "CLIENT_KEY",
    "DEFAULT_CONNECTIONS",
    "DEFAULT_DURATION",
    "DEFAULT_WARMUP",
    "LOAD_CORE",
    "MOCK_KEY",
    "P99_TARGET_MS",
    "PLAIN_MODEL",
    "PROXY_CORE",
    "REPO",
    "RESULT_MARKER",
    "RSS_TARGET_MB",
    "SCENARIOS",
    "STREAM_EVENTS",
    "STREAM_MODEL",
    "TARGETS",
    "BenchError",
    "Load",
    "PeakRss",
    "ProcStat",
    "Processes",
    "ProfileLine",
    "Row",
    "Scenario",
    "Services",
    "Target",
    "WrkResult",
    "children_of",
    "core_busy",
    "cpu_ms",
    "ensure_tool",
    "find_tool",
    "free_port",
    "lua_quote",
    "main",
    "measure",
    "nginx_modules_without",
    "parse_core_times",
    "parse_proc_stat",
    "parse_vm_rss_kb",
    "parse_wrk_output",
    "pinned",
    "print_report",
    "probe",
    "profile_daemon",
    "read_core_times",
    "read_stat",
    "render_daemon_config",
    "render_nginx_config",
    "render_wrk_script",
    "rss_mb",
    "run_wrk",
    "start_daemon",
    "start_mock",
    "start_nginx",
    "start_services",
    "stop_pid",
    "stop_process",
    "stream_deltas",
    "summary",
    "top_functions",
    "wait_port",
]
