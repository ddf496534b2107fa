"""One run: check the answer once, then the measured load and its row of figures."""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from pathlib import Path

from bench.proxy.load import Load, render_wrk_script, run_wrk
from bench.proxy.processes import Processes
from bench.proxy.procfs import PeakRss, core_busy, cpu_ms, read_core_times
from bench.proxy.scenarios import LOAD_CORE, PROXY_CORE, Scenario
from bench.proxy.services import Services, Target

# --------------------------------------------------------------------------- one run


@dataclass(slots=True)
class Row:
    scenario: str
    target: str
    requests: int  # completed with a 2xx in the measured load
    errors: dict[str, int]
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    proxy_cpu_ms_per_request: float | None  # None for direct
    mock_cpu_ms_per_request: float
    proxy_rss_mb: float | None  # peak during the measured load
    proxy_core_busy: float  # share of the proxy core's time busy (any process, softirq too)
    load_core_busy: float  # the same for the core of the mock and wrk
    check: str  # the answer to one request before the load: "ok" or what is wrong


def probe(target: Target, scenario: Scenario, timeout: float = 15) -> str:
    """Send the scenario's request once to the target and check the answer."""
    host, port = target.url.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("POST", scenario.path, scenario.body(), scenario.headers(target.key))
        response = conn.getresponse()
        return scenario.check(response.status, response.read())
    except OSError as error:
        return f"request failed: {error}"
    finally:
        conn.close()


def measure(
    procs: Processes,
    work: Path,
    services: Services,
    target: Target,
    scenario: Scenario,
    load: Load,
) -> Row:
    check = probe(target, scenario)
    script = work / f"{scenario.key}-{target.name}.lua"
    script.write_text(render_wrk_script(scenario.body(), scenario.headers(target.key)))
    url = target.url + scenario.path
    if load.warmup > 0:
        run_wrk(procs, load.wrk, url, script, load.connections, load.warmup, load.threads)
        time.sleep(load.settle)
    proxy_pids = target.proxy_pids or (lambda: [])
    proxy_before = cpu_ms(proxy_pids())
    mock_before = cpu_ms([services.mock_pid])
    cores_before = read_core_times()
    with PeakRss(proxy_pids) as rss:
        result = run_wrk(
            procs, load.wrk, url, script, load.connections, load.duration, load.threads
        )
        cores = core_busy(cores_before, read_core_times())
        time.sleep(load.settle)
    proxy_used = cpu_ms(proxy_pids()) - proxy_before
    mock_used = cpu_ms([services.mock_pid]) - mock_before
    done = max(result.ok_requests, 1)
    return Row(
        scenario=scenario.key,
        target=target.name,
        requests=result.ok_requests,
        errors={k: v for k, v in result.errors.items() if v},
        rps=result.rps,
        p50_ms=result.p50_ms,
        p90_ms=result.p90_ms,
        p99_ms=result.p99_ms,
        mean_ms=result.mean_ms,
        max_ms=result.max_ms,
        proxy_cpu_ms_per_request=proxy_used / done if target.proxy_pids else None,
        mock_cpu_ms_per_request=mock_used / done,
        proxy_rss_mb=rss.peak_mb if target.proxy_pids else None,
        proxy_core_busy=cores.get(PROXY_CORE, 0.0),
        load_core_busy=cores.get(LOAD_CORE, 0.0),
        check=check,
    )
