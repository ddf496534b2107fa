"""The proxy benchmark's pure parts: /proc and wrk parsing, the configs it writes, its checks.

No load is sent here and no timing is asserted; nginx, when installed, only checks its config.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

from bench import proxy as bench
from daemon.config import load_config

# --------------------------------------------------------------------------- /proc


def test_proc_stat_fields_are_counted_from_the_last_paren() -> None:
    line = (
        "4242 (py (x) y) S 17 4242 4242 0 -1 4194560 2514 0 0 0 "
        "1234 567 0 0 20 0 3 0 123456 300000000 12000 18446744073709551615 "
        "1 1 0 0 0 0 0 16781312 17922 0 0 0 17 0 0 0 0 0 0\n"
    )
    stat = bench.parse_proc_stat(line)
    assert stat == bench.ProcStat(pid=4242, comm="py (x) y", ppid=17, utime=1234, stime=567)


def test_proc_stat_of_this_process_parses() -> None:
    stat = bench.read_stat(os.getpid())
    assert stat.pid == os.getpid()
    assert stat.ppid == os.getppid()
    assert stat.utime >= 0 and stat.stime >= 0
    assert bench.cpu_ms([os.getpid()]) >= 0


def test_vm_rss_is_read_in_kib() -> None:
    status = "Name:\tpython\nVmPeak:\t  200000 kB\nVmRSS:\t   51200 kB\nThreads:\t3\n"
    assert bench.parse_vm_rss_kb(status) == 51200
    assert bench.parse_vm_rss_kb("Name:\tzombie\nState:\tZ (zombie)\n") == 0
    assert bench.rss_mb([os.getpid()]) > 1


def test_core_times_count_idle_and_iowait_as_not_busy() -> None:
    text = (
        "cpu  300 0 100 900 100 0 0 0 0 0\n"
        "cpu0 200 0 50 400 50 0 0 0 0 0\n"
        "cpu1 100 0 50 500 50 0 0 0 0 0\n"
        "intr 12345 0 0\n"
    )
    cores = bench.parse_core_times(text)
    assert cores == {0: (250, 700), 1: (150, 700)}
    later = {0: (250 + 90, 700 + 100), 1: (150 + 10, 700 + 100)}
    busy = bench.core_busy(cores, later)
    assert busy[0] == pytest.approx(0.9) and busy[1] == pytest.approx(0.1)
    assert bench.core_busy(cores, cores) == {0: 0.0, 1: 0.0}


# --------------------------------------------------------------------------- wrk


def test_lua_quote_escapes_quotes_backslashes_and_bytes() -> None:
    assert bench.lua_quote('a"b\\c') == '"a\\"b\\\\c"'
    assert bench.lua_quote("line\nnext") == '"line\\010next"'
    assert bench.lua_quote("é") == '"\\195\\169"'  # UTF-8 bytes, decimal escapes
    assert bench.lua_quote(b"") == '""'


def test_wrk_script_posts_the_body_with_the_headers_and_reports_json() -> None:
    scenario = next(s for s in bench.SCENARIOS if s.key == "anthropic-stream")
    script = bench.render_wrk_script(scenario.body(), scenario.headers("sk-x"))
    assert 'wrk.method = "POST"' in script
    assert bench.lua_quote(scenario.body()) in script
    assert 'wrk.headers["x-api-key"] = "sk-x"' in script
    assert f'wrk.headers["anthropic-version"] = "{bench.ANTHROPIC_VERSION}"' in script
    assert "done = function(summary, latency, requests)" in script
    assert bench.RESULT_MARKER in script
    assert "latency:percentile(99)" in script


WRK_TEXT = """\
Running 8s test @ http://127.0.0.1:41234/v1/chat/completions
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    15.11ms    2.34ms 120.50ms   90.00%
    Req/Sec     3.31k   200.00     3.60k    70.00%
  Latency Distribution
     50%   14.80ms
     75%   15.90ms
     90%   17.00ms
     99%  850.00us
  26500 requests in 8.00s, 12.34MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 3
Requests/sec:   3311.00
Transfer/sec:      1.54MB
"""


def test_wrk_text_report_is_parsed_when_the_script_line_is_missing() -> None:
    result = bench.parse_wrk_output(WRK_TEXT)
    assert result.requests == 26500
    assert result.duration_s == pytest.approx(8.0)
    assert result.errors == {"connect": 0, "read": 2, "write": 0, "status": 3, "timeout": 1}
    assert result.ok_requests == 26497
    assert result.rps == pytest.approx(26497 / 8.0)
    assert result.p50_ms == pytest.approx(14.8)
    assert result.p90_ms == pytest.approx(17.0)
    assert result.p99_ms == pytest.approx(0.85)
    assert result.mean_ms == pytest.approx(15.11)
    assert result.max_ms == pytest.approx(120.5)


def test_wrk_script_line_wins_over_the_rounded_text() -> None:
    line = (
        bench.RESULT_MARKER
        + orjson.dumps(
            {
                "requests": 26512,
                "duration_us": 8001234,
                "bytes": 12939000,
                "errors": {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0},
                "latency_us": {
                    "p50": 14801.0,
                    "p90": 17002.5,
                    "p99": 25010.0,
                    "mean": 15110.2,
                    "max": 120500.0,
                },
            }
        ).decode()
    )
    result = bench.parse_wrk_output(WRK_TEXT + line + "\n")
    assert result.requests == 26512
    assert result.duration_s == pytest.approx(8.001234)
    assert result.errors["status"] == 0
    assert result.p50_ms == pytest.approx(14.801)
    assert result.p99_ms == pytest.approx(25.01)


def test_wrk_text_without_a_latency_table_leaves_percentiles_unknown() -> None:
    text = "  100 requests in 1.00s, 10.00KB read\nRequests/sec:    100.00\n"
    result = bench.parse_wrk_output(text)
    assert result.requests == 100 and result.errors["status"] == 0
    assert math.isnan(result.p99_ms)


def test_wrk_garbage_is_an_error() -> None:
    with pytest.raises(ValueError, match="no wrk summary"):
        bench.parse_wrk_output("unable to connect to 127.0.0.1:1 Connection refused\n")


# --------------------------------------------------------------------------- configs


def test_daemon_config_loads_with_debug_off_and_the_bench_models(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(bench.render_daemon_config("http://127.0.0.1:4321"))
    loaded = load_config(path, {})
    settings = loaded.settings
    assert loaded.warnings == []
    assert settings.debug is False and settings.request_log is False
    assert settings.host == "127.0.0.1" and settings.port == 0
    assert settings.api_keys == (bench.CLIENT_KEY,)
    (provider,) = settings.openai_compatibility
    assert provider.base_url == "http://127.0.0.1:4321/v1"
    assert [k.api_key for k in provider.api_key_entries] == [bench.MOCK_KEY]
    assert [m.name for m in provider.models] == [bench.PLAIN_MODEL, bench.STREAM_MODEL]


def test_nginx_config_is_a_keepalive_reverse_proxy_writing_only_under_its_prefix() -> None:
    prefix = Path("/tmp/cpxbench-x/nginx")
    text = bench.render_nginx_config(prefix, 8081, 9091)
    assert "daemon off;" in text and "worker_processes 1;" in text
    assert "listen 127.0.0.1:8081;" in text
    assert "server 127.0.0.1:9091;" in text
    assert "keepalive 64;" in text
    assert 'proxy_set_header Connection "";' in text and "proxy_http_version 1.1;" in text
    assert "proxy_buffering off;" in text and "access_log off;" in text
    assert "user " not in text  # it runs as whoever starts it
    paths = [line.split()[1] for line in text.splitlines() if "_path " in line or "pid " in line]
    assert paths and all(p.startswith(str(prefix)) for p in paths)
    assert "fastcgi_temp_path" in text


def test_nginx_config_leaves_out_the_temp_paths_of_missing_modules() -> None:
    version = "configure arguments: --with-threads --without-http_uwsgi_module"
    without = bench.nginx_modules_without(version)
    assert without == {"uwsgi"}
    text = bench.render_nginx_config(Path("/p"), 1, 2, without)
    assert "uwsgi_temp_path" not in text and "scgi_temp_path" in text


@pytest.mark.skipif(bench.find_tool("nginx") is None, reason="nginx is not installed")
def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    nginx = bench.find_tool("nginx")
    assert nginx is not None
    version = subprocess.run([nginx, "-V"], capture_output=True, text=True, check=False).stderr
    (tmp_path / "tmp").mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        bench.render_nginx_config(tmp_path, 8081, 9091, bench.nginx_modules_without(version))
    )
    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", "stderr"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr


# --------------------------------------------------------------------------- scenarios


def _openai_stream(deltas: int, done: bool = True) -> bytes:
    events: list[dict[str, Any]] = [
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}
    ]
    events += [{"choices": [{"index": 0, "delta": {"content": "x"}}]} for _ in range(deltas)]
    events += [{"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}]
    events += [{"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": deltas}}]
    body = b"".join(b"data: " + orjson.dumps(e) + b"\n\n" for e in events)
    return body + (b"data: [DONE]\n\n" if done else b"")


def _anthropic_stream(deltas: int, done: bool = True) -> bytes:
    events = [
        ("message_start", {"type": "message_start", "message": {"id": "m"}}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "text", "text": ""}}),
    ]  # fmt: skip
    events += [
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "text_delta", "text": "x"}})
        for _ in range(deltas)
    ]  # fmt: skip
    events += [("content_block_stop", {"type": "content_block_stop", "index": 0})]
    if done:
        events += [("message_stop", {"type": "message_stop"})]
    return b"".join(
        f"event: {name}\n".encode() + b"data: " + orjson.dumps(data) + b"\n\n"
        for name, data in events
    )


def _scenario(key: str) -> bench.Scenario:
    return next(s for s in bench.SCENARIOS if s.key == key)


def test_scenarios_cover_pass_through_and_translation_stream_and_not() -> None:
    assert [(s.client, s.stream) for s in bench.SCENARIOS] == [
        ("openai", False), ("openai", True), ("anthropic", False), ("anthropic", True),
    ]  # fmt: skip
    for scenario in bench.SCENARIOS:
        body = orjson.loads(scenario.body())
        assert body["model"] == (bench.STREAM_MODEL if scenario.stream else bench.PLAIN_MODEL)
        assert body.get("stream", False) is scenario.stream
    assert f"events-{bench.STREAM_EVENTS}" in bench.STREAM_MODEL
    assert _scenario("openai").headers("k")["Authorization"] == "Bearer k"
    assert _scenario("anthropic").headers("k")["x-api-key"] == "k"


def test_stream_checks_count_the_text_deltas_and_want_the_terminal_event() -> None:
    n = bench.STREAM_EVENTS
    openai, anthropic = _scenario("openai-stream"), _scenario("anthropic-stream")
    assert openai.check(200, _openai_stream(n)) == "ok"
    assert openai.check(200, _openai_stream(n - 1)) == f"{n - 1} text deltas, expected {n}"
    assert openai.check(200, _openai_stream(n, done=False)) == "stream without its terminal event"
    assert anthropic.check(200, _anthropic_stream(n)) == "ok"
    assert "terminal" in anthropic.check(200, _anthropic_stream(n, done=False))
    assert anthropic.check(200, _anthropic_stream(n + 1)).startswith(f"{n + 1} text deltas")


def test_non_stream_checks_want_text_and_a_200() -> None:
    openai, anthropic = _scenario("openai"), _scenario("anthropic")
    chat = {"choices": [{"message": {"role": "assistant", "content": "echo: hi"}}]}
    message = {"type": "message", "content": [{"type": "text", "text": "echo: hi"}]}
    assert openai.check(200, orjson.dumps(chat)) == "ok"
    assert anthropic.check(200, orjson.dumps(message)) == "ok"
    assert anthropic.check(200, orjson.dumps({"type": "message", "content": []})) == "empty text"
    assert openai.check(401, b'{"error": {}}').startswith("status 401")
    assert openai.check(200, b"<html>").startswith("unparsable answer")


# --------------------------------------------------------------------------- summary and py-spy


def _row(scenario: str, target: str, cpu: float | None, p99: float, rps: float) -> bench.Row:
    return bench.Row(
        scenario=scenario, target=target, requests=1000, errors={}, rps=rps, p50_ms=p99 / 2,
        p90_ms=p99 * 0.8, p99_ms=p99, mean_ms=p99 / 2, max_ms=p99 * 2,
        proxy_cpu_ms_per_request=cpu, mock_cpu_ms_per_request=0.06,
        proxy_rss_mb=None if cpu is None else 50.0, proxy_core_busy=0.9, load_core_busy=0.9,
        check="ok",
    )  # fmt: skip


def test_summary_gives_the_ratios_to_nginx_and_direct_and_the_targets() -> None:
    rows = [
        _row("openai", "direct", None, 5.0, 10000),
        _row("openai", "nginx", 0.04, 10.0, 8000),
        _row("openai", "cliproxy", 0.30, 40.0, 3000),
        _row("openai-stream", "cliproxy", 0.50, 60.0, 1000),
    ]
    s = bench.summary(rows)
    openai = s["openai"]
    assert openai["cpu_vs_nginx"] == pytest.approx(7.5)
    assert openai["p99_vs_direct"] == pytest.approx(8.0)
    assert openai["p99_vs_nginx"] == pytest.approx(4.0)
    assert openai["rps_vs_direct"] == pytest.approx(0.3)
    assert openai["cpu_ok"] and openai["p99_ok"] and openai["rss_ok"]
    stream = s["openai-stream"]
    assert not stream["cpu_ok"] and not stream["p99_ok"]  # 0.50 > 0.45 ms; 60 ms ≥ 50 ms
    assert "cpu_vs_nginx" not in stream and "p99_vs_direct" not in stream


def test_top_functions_ranks_self_time_and_keeps_the_inclusive_share() -> None:
    collapsed = "\n".join(
        [
            "process 1:python -m daemon;thread (0x1);main (daemon/__main__.py:31);"
            "handle (daemon/app.py:10);send (uvicorn/protocols/http/httptools_impl.py:500) 6",
            "main (daemon/__main__.py:31);handle (daemon/app.py:12) 3",
            "main (daemon/__main__.py:31);handle (daemon/app.py:10);"
            "send (uvicorn/protocols/http/httptools_impl.py:510) 1",
            "not a sample line",
        ]
    )
    lines = bench.top_functions(collapsed)
    assert [(line.function, line.self_pct, line.total_pct) for line in lines] == [
        ("send (http/httptools_impl.py)", 70.0, 70.0),
        ("handle (daemon/app.py)", 30.0, 100.0),
    ]
    assert bench.top_functions("") == []


def test_processes_stop_everything_even_when_one_stop_fails() -> None:
    procs = bench.Processes()
    stopped: list[str] = []
    sleeper = procs.spawn("sleeper", ["sleep", "30"])

    def broken() -> None:
        raise RuntimeError("boom")

    procs.on_close("first", lambda: stopped.append("first"))
    procs.on_close("broken", broken)
    procs.close()
    assert stopped == ["first"]
    assert sleeper.poll() is not None


@pytest.mark.skipif(shutil.which("taskset") is None, reason="taskset is not installed")
def test_pinned_prefixes_taskset() -> None:
    assert bench.pinned(1, ["wrk", "-t1"]) == ["taskset", "-c", "1", "wrk", "-t1"]
