"""The real coding agents, run non-interactively against the real daemon and the mock upstreams.

Each agent does one tool round trip: the mock, scripted by the upstream model name
`mock-tool=<tool>-think`, thinks (signed) and asks for one of the agent's own read-only tools on a
file in a private workspace; the agent runs it and sends the result back (with the signed
thinking); the mock answers "tool said: <result>", and the agent prints that. Same format (the
agent's own API upstream) and cross format (another API upstream) each.

Offline: every agent gets a private HOME and a clean environment, its telemetry / update /
feedback switches off, and HTTP(S)_PROXY pointing at a local proxy that refuses (and records)
anything not for 127.0.0.1 (all three agents honour it); a test fails if an agent tried.

The agents are installed by tests/e2e/install_agents.sh into $CLIPROXY_AGENTS_DIR (default
/tmp/cliproxy-agents). Without them these tests skip, unless CLIPROXY_REQUIRE_AGENTS=1 (CI).

What the pinned releases send (Claude Code 2.1.197, Codex CLI 0.169.0, Gemini CLI 0.61.0):
- Claude Code: `POST /v1/messages?beta=true`, stream, `x-api-key`, `anthropic-version`,
  `anthropic-beta: claude-code-20250219,interleaved-thinking-2025-05-14,
  thinking-token-count-2026-05-13,context-management-2025-06-27,prompt-caching-scope-2026-01-05,
  mid-conversation-system-2026-04-07,effort-2025-11-24`, `user-agent: claude-cli/<v> (external,
  sdk-cli)`, `x-app: cli`, `x-claude-code-session-id`; body: 24 tools, `thinking: {type:
  adaptive}`, `output_config: {effort: high}`, `context_management` (clear_thinking_20251015),
  `metadata.user_id` (a JSON string), `max_tokens: 32000`, `cache_control` on system blocks and
  on the last tool_result, a first system block `x-anthropic-billing-header: ...`, and a
  `{"role": "system", "content": "..."}` message *inside* `messages` (after the first user turn).
  It sends the signed thinking back on the tool turn only when the response's `model` is the
  name it asked for; otherwise it drops the thinking blocks.
- Codex CLI: `POST /v1/responses` (a new connection per request), stream, `Authorization:
  Bearer`, `originator: codex_exec`, `session-id`, `thread-id`, `x-client-request-id`,
  `x-codex-turn-metadata`, `x-codex-beta-features`; body: `store: false`, `include:
  ["reasoning.encrypted_content"]`, `reasoning: {summary: auto}`, no `instructions` (developer
  messages instead), `client_metadata`, `prompt_cache_key`, `parallel_tool_calls`, tools of type
  function, namespace (multi_agent_v1) and web_search; its shell tool `exec_command` takes
  `{"cmd": "..."}`; reasoning items (with encrypted_content) come back on the tool turn.
- Gemini CLI: `POST /v1beta/models/{m}%3AstreamGenerateContent?alt=sse` (the colon
  percent-encoded), `x-goog-api-key`, `user-agent: GeminiCLI-tui/<v>/<model> (...)`,
  `x-goog-api-client: google-genai-sdk/<v>`; tools with `parametersJsonSchema`,
  `thinkingConfig.includeThoughts` (plus a budget or level only for models it knows), function
  calls / responses with `id`; history keeps no thought parts, only the `thoughtSignature` on
  function-call parts. With `-m` there is no routing call. Without it (default "auto-gemini-3")
  each turn starts with a non-streaming `:generateContent` to `gemini-3.5-flash-lite` (the
  numerical classifier: JSON `{complexity_reasoning, complexity_score}`, no tools), then the
  streamed turn on `gemini-3.8-flash` (low score), `gemini-3.1-pro-preview-customtools` (high
  score) or `gemini-3.1-pro-preview` (no usable routing answer, after retrying it with backoff
  for ~100 s); function-response turns are not routed again.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemon import CLIENT_KEY, Sandbox, base_config, make_sandbox
from tests.support.mock_upstream import DEFAULT_KEY, MockConfig, MockUpstream, run_mock

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

AGENTS_DIR = Path(os.environ.get("CLIPROXY_AGENTS_DIR", "/tmp/cliproxy-agents"))
BIN = AGENTS_DIR / "node_modules" / ".bin"
AGENT_TIMEOUT = 120  # seconds for one agent run
SECRET = "PERIWINKLE-42"
PROMPT = "Read the file notes.txt in the current directory and tell me the secret word in it."


# ---- the agents, and how each one reaches the daemon ---------------------------------------


@dataclass(frozen=True)
class Case:
    agent: str  # claude / codex / gemini
    alias: str  # the model name the agent asks the daemon for
    upstream_format: str  # the mock's name for the format the daemon must speak upstream
    tool: str  # the agent's tool the mock calls

    @property
    def upstream_model(self) -> str:
        return f"mock-tool={self.tool.lower()}-think"


CASES = [
    Case("claude", "e2e-claude-anthropic", "anthropic", "Read"),
    Case("claude", "e2e-claude-chat", "openai-chat", "Read"),
    Case("codex", "e2e-codex-responses", "openai-responses", "exec_command"),
    Case("codex", "e2e-codex-anthropic", "anthropic", "exec_command"),
    Case("gemini", "e2e-gemini-gemini", "gemini", "read_file"),
    Case("gemini", "e2e-gemini-anthropic", "anthropic", "read_file"),
]
SMALL_MODEL = "e2e-small"  # Claude Code's background ("haiku") model, should it call one

# Gemini CLI 0.61.0 without `-m` (its default model "auto-gemini-3"): first a non-streaming
# `:generateContent` to its routing ("classifier") model, asking for a JSON complexity score
# (1-100); a low score routes the turn to its flash model, a high one to its pro model. The
# routing model is served under its own upstream key, which the mock answers with such a score
# (the mock's scripted echo is no JSON, and Gemini CLI would retry it with backoff for ~100 s
# before falling back to its default model).
GEMINI_ROUTER_MODEL = "gemini-3.5-flash-lite"
GEMINI_ROUTED_FLASH = "gemini-3.8-flash"  # what a low score picks
GEMINI_ROUTED_PRO = "gemini-3.1-pro-preview-customtools"  # what a high score picks (API key auth)
GEMINI_DEFAULT_MODEL = (
    "gemini-3.1-pro-preview"  # no usable routing answer: its default, after retries
)
GEMINI_DEFAULT_NAMES = (GEMINI_ROUTED_FLASH, GEMINI_ROUTED_PRO, GEMINI_DEFAULT_MODEL)
ROUTER_KEY = "sk-mock-gemini-router-key"


def router_answer(score: int) -> dict[str, Any]:
    """Gemini's generateContent answer carrying the routing model's JSON complexity score."""
    verdict = {"complexity_reasoning": "Scripted by the test.", "complexity_score": score}
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": json.dumps(verdict)}]},
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 100,
            "candidatesTokenCount": 20,
            "totalTokenCount": 120,
        },
        "modelVersion": "mock-router",
    }


def gemini_default_upstream(alias: str) -> str:
    return f"mock-tool=read_file-think-as-{alias}"


def _models(*pairs: tuple[str, str]) -> str:
    return "[" + ", ".join(f'{{name = "{name}", alias = "{alias}"}}' for name, alias in pairs) + "]"


def daemon_config(mock_url: str) -> str:
    by_format: dict[str, list[tuple[str, str]]] = {}
    for case in CASES:
        by_format.setdefault(case.upstream_format, []).append((case.upstream_model, case.alias))
    by_format["anthropic"].append(("mock-model", SMALL_MODEL))
    by_format["gemini"] += [(gemini_default_upstream(n), n) for n in GEMINI_DEFAULT_NAMES]
    key = f'api-key = "{DEFAULT_KEY}"'
    return base_config(
        extra=f"""debug = true

[[openai-compatibility]]
name = "mockchat"
base-url = "{mock_url}/v1"
api-key-entries = [{{{key}}}]
models = {_models(*by_format["openai-chat"])}

[[claude-api-key]]
{key}
base-url = "{mock_url}"
models = {_models(*by_format["anthropic"])}

[[gemini-api-key]]
{key}
base-url = "{mock_url}"
models = {_models(*by_format["gemini"])}

[[gemini-api-key]]
api-key = "{ROUTER_KEY}"
base-url = "{mock_url}"
models = {_models(("mock-router", GEMINI_ROUTER_MODEL))}

[[codex-api-key]]
{key}
base-url = "{mock_url}/v1"
models = {_models(*by_format["openai-responses"])}
"""
    )


REQUIRED = os.environ.get("CLIPROXY_REQUIRE_AGENTS") == "1"


def missing(agent: str) -> str | None:
    """Why `agent` cannot run here, or None."""
    if not shutil.which("node"):
        return "node is not on PATH"
    binary = BIN / agent
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        return (
            f"{agent} is not installed in {BIN} (run tests/e2e/install_agents.sh, "
            "or point CLIPROXY_AGENTS_DIR at an install)"
        )
    return None


def require_agent(agent: str) -> Path:
    """The agent's binary; fails (CLIPROXY_REQUIRE_AGENTS=1) or skips when it is missing."""
    reason = missing(agent)
    if reason is not None:
        if REQUIRED:
            pytest.fail(f"{reason}; CLIPROXY_REQUIRE_AGENTS=1 forbids skipping", pytrace=False)
        pytest.skip(reason)
    return BIN / agent


def case_param(case: Case) -> Any:
    """Skipped at collection when the agent is missing (so no daemon starts for nothing), unless
    CLIPROXY_REQUIRE_AGENTS=1: then the test runs and fails, saying why."""
    reason = missing(case.agent)
    marks = [pytest.mark.skip(reason=reason)] if reason and not REQUIRED else []
    return pytest.param(case, marks=marks, id=f"{case.agent}-via-{case.upstream_format}")


# ---- the refusing proxy ----------------------------------------------------------------------


class RefusingProxy:
    """An HTTP proxy on loopback that refuses every request with 403 and records its first line
    (`CONNECT host:443 HTTP/1.1`), so an agent's attempt to go anywhere but 127.0.0.1 is seen."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)  # so the loop sees `_stop`
        self._stop = threading.Event()
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.attempts: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="refusing-proxy", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                with contextlib.suppress(OSError):
                    first = conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
                    with self._lock:
                        self.attempts.append(first)
                    conn.sendall(
                        b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )

    def take(self) -> list[str]:
        with self._lock:
            taken, self.attempts = self.attempts, []
        return taken

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()


# ---- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("workspace")
    (root / "notes.txt").write_text(f"The secret word is {SECRET}.\n")
    return root


@pytest.fixture(scope="module")
def mock(workspace: Path) -> Iterator[MockUpstream]:
    notes = str(workspace / "notes.txt")
    arguments = {
        "Read": {"file_path": notes},  # Claude Code
        "exec_command": {"cmd": f"cat {notes}"},  # Codex CLI
        "read_file": {"file_path": notes},  # Gemini CLI
    }
    with run_mock(
        MockConfig(api_keys=(DEFAULT_KEY, ROUTER_KEY), tool_arguments=arguments)
    ) as server:
        yield server


@dataclass(frozen=True)
class Daemon:
    box: Sandbox
    listen: str

    def logs(self) -> str:
        return self.box.cli("logs", "-n", "60").stdout


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory, mock: MockUpstream) -> Iterator[Daemon]:
    for box in make_sandbox(tmp_path_factory.mktemp("daemon")):
        box.write_config(daemon_config(mock.base_url))
        started = box.cli("start")
        assert started.returncode == 0, started.stderr
        yield Daemon(box, str(box.status()["listen"]))


@pytest.fixture(scope="module")
def proxy() -> Iterator[RefusingProxy]:
    server = RefusingProxy()
    yield server
    server.close()


@pytest.fixture
def clean(mock: MockUpstream, proxy: RefusingProxy) -> None:
    mock.clear()
    proxy.take()


# ---- running an agent ------------------------------------------------------------------------


def base_env(home: Path, proxy: RefusingProxy) -> dict[str, str]:
    """A clean environment (nothing of the developer's: keys, configs, proxies), offline."""
    node = shutil.which("node")
    path = [str(BIN)] + ([str(Path(node).parent)] if node else []) + ["/usr/bin", "/bin"]
    env = {
        "PATH": os.pathsep.join(dict.fromkeys(path)),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "NO_COLOR": "1",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "OTEL_SDK_DISABLED": "true",
    }
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[name] = env[name.lower()] = proxy.url
    return env


def run_agent(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run one agent to completion; whatever it left running in its session is killed after."""
    proc = subprocess.Popen(
        argv,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=AGENT_TIMEOUT)
    except subprocess.TimeoutExpired:
        _kill_session(proc.pid)
        out, err = proc.communicate()
        pytest.fail(
            f"{argv[0]} did not finish within {AGENT_TIMEOUT}s\n"
            f"stdout:\n{out[-3000:]}\nstderr:\n{err[-3000:]}"
        )
    _kill_session(proc.pid)
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def _kill_session(pid: int) -> None:
    """Kill the process group the agent leads (start_new_session made its pid the group id)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def claude(case: Case, listen: str, home: Path, workspace: Path, proxy: RefusingProxy) -> Run:
    binary = require_agent("claude")
    env = base_env(home, proxy) | {
        "ANTHROPIC_BASE_URL": listen,
        "ANTHROPIC_API_KEY": CLIENT_KEY,
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": SMALL_MODEL,
        "ANTHROPIC_SMALL_FAST_MODEL": SMALL_MODEL,
        "CLAUDE_CONFIG_DIR": str(home / ".claude"),
        # Off: telemetry, error reports, auto-update, feedback, feature flags, every
        # non-essential request (the umbrella switch).
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_UPDATES": "1",
        "DISABLE_BUG_COMMAND": "1",
        "DISABLE_FEEDBACK_COMMAND": "1",
        "DISABLE_GROWTHBOOK": "1",
        "DISABLE_INSTALLATION_CHECKS": "1",
        "CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY": "1",
    }
    # Read is read-only; --allowedTools lets it run headless without a permission prompt.
    argv = [str(binary), "-p", PROMPT, "--model", case.alias, "--allowedTools", "Read"]
    argv += ["--output-format", "text"]
    return Run(run_agent(argv, env, workspace), home)


def codex(case: Case, listen: str, home: Path, workspace: Path, proxy: RefusingProxy) -> Run:
    binary = require_agent("codex")
    codex_home = home / ".codex"
    codex_home.mkdir(parents=True)
    (codex_home / "config.toml").write_text(
        f"""model_provider = "cliproxy"
check_for_update_on_startup = false

[model_providers.cliproxy]
name = "cliproxy"
base_url = "{listen}/v1"
wire_api = "responses"
env_key = "CLIPROXY_CLIENT_KEY"
supports_websockets = false

[analytics]
enabled = false

[feedback]
enabled = false

[otel]
exporter = "none"
metrics_exporter = "none"
trace_exporter = "none"

# Each of these reaches out at startup (github.com for the curated plugin marketplace,
# chatgpt.com for remote plugins and apps); none is needed with an API-key provider.
[features]
plugins = false
remote_plugin = false
apps = false
"""
    )
    env = base_env(home, proxy) | {
        "CODEX_HOME": str(codex_home),
        "CLIPROXY_CLIENT_KEY": CLIENT_KEY,
    }
    # No sandbox: the only command is the mock's fixed `cat` of our own file, and a sandbox
    # that cannot start in a container would make this a test of Codex, not of the proxy.
    argv = [str(binary), "exec", "--skip-git-repo-check", "--model", case.alias]
    argv += ["--sandbox", "danger-full-access", PROMPT]
    return Run(run_agent(argv, env, workspace), home)


def gemini(case: Case, listen: str, home: Path, workspace: Path, proxy: RefusingProxy) -> Run:
    return run_gemini(case.alias, listen, home, workspace, proxy)


def run_gemini(
    model: str | None, listen: str, home: Path, workspace: Path, proxy: RefusingProxy
) -> Run:
    """Gemini CLI with `-m model`, or with its own default model selection when `model` is None."""
    binary = require_agent("gemini")
    settings: dict[str, Any] = {
        "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False},
        "privacy": {"usageStatisticsEnabled": False},
        "telemetry": {"enabled": False},
        "security": {"auth": {"selectedType": "gemini-api-key"}},
    }
    if model is not None:
        # A thinking budget, as Gemini CLI sends for its own 2.5 models (for a model name it
        # does not know it sends only includeThoughts, and an Anthropic upstream would not think).
        settings["modelConfigs"] = {
            "customOverrides": [
                {
                    "match": {"model": model},
                    "modelConfig": {
                        "generateContentConfig": {"thinkingConfig": {"thinkingBudget": 2048}}
                    },
                }
            ]
        }
    (home / ".gemini").mkdir(parents=True)
    (home / ".gemini" / "settings.json").write_text(json.dumps(settings, indent=2))
    env = base_env(home, proxy) | {
        "GOOGLE_GEMINI_BASE_URL": listen,  # read by the genai SDK Gemini CLI bundles
        "GEMINI_API_KEY": CLIENT_KEY,
        "GEMINI_TELEMETRY_ENABLED": "false",
        "GEMINI_CLI_TRUST_WORKSPACE": "true",  # headless runs refuse untrusted folders
    }
    # read_file needs no confirmation, so the default approval mode runs it headless.
    argv = [str(binary)] + (["-m", model] if model is not None else []) + ["-p", PROMPT]
    return Run(run_agent(argv, env, workspace), home)


@dataclass
class Run:
    result: subprocess.CompletedProcess[str]
    home: Path

    def describe(self, daemon: Daemon, mock: MockUpstream) -> str:
        upstream = "\n".join(
            f"  {r.method} {r.path} {r.model} -> {r.status}" for r in mock.requests
        )
        return (
            f"exit status {self.result.returncode}\n"
            f"stdout:\n{self.result.stdout[-4000:]}\nstderr:\n{self.result.stderr[-4000:]}\n"
            f"upstream calls:\n{upstream}\ndaemon log:\n{daemon.logs()}"
        )


RUNNERS = {"claude": claude, "codex": codex, "gemini": gemini}


# ---- the tests -------------------------------------------------------------------------------


@pytest.mark.usefixtures("clean")
@pytest.mark.parametrize("case", [case_param(c) for c in CASES])
def test_agent_tool_round_trip(
    case: Case,
    daemon: Daemon,
    mock: MockUpstream,
    proxy: RefusingProxy,
    workspace: Path,
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    run = RUNNERS[case.agent](case, daemon.listen, home, workspace, proxy)
    out = run.result.stdout

    assert run.result.returncode == 0, run.describe(daemon, mock)
    assert "tool said:" in out and SECRET in out, run.describe(daemon, mock)

    # Upstream: the daemon spoke the expected format, and the second call carried the result.
    calls = [r for r in mock.requests if r.model == case.upstream_model]
    assert len(calls) >= 2, run.describe(daemon, mock)
    assert {r.format for r in calls} == {case.upstream_format}, run.describe(daemon, mock)
    assert all(r.status == 200 for r in calls), run.describe(daemon, mock)
    assert SECRET.encode() in calls[-1].raw, "the tool result did not reach the upstream"

    # The thinking the mock signed on the tool-call turn came back with the tool result, intact
    # (signature byte-identical, thinking unchanged): an Anthropic upstream refuses a tool turn
    # without it, Gemini and Responses lose their reasoning state. OpenAI chat signs nothing.
    if case.upstream_format != "openai-chat":
        echoes = list(calls[-1].signature_echoes)
        assert echoes and all(e.matched for e in echoes), (
            f"the signed thinking did not come back intact; echoes: {echoes}\n"
            + run.describe(daemon, mock)
        )

    assert proxy.take() == [], "the agent tried to reach something other than 127.0.0.1"


@pytest.mark.usefixtures("clean")
@pytest.mark.skipif(bool(missing("gemini")) and not REQUIRED, reason=str(missing("gemini")))
@pytest.mark.parametrize(
    ("score", "routed"),
    [(10, GEMINI_ROUTED_FLASH), (95, GEMINI_ROUTED_PRO)],
    ids=["flash", "pro"],
)
def test_gemini_default_model_routing(
    score: int,
    routed: str,
    daemon: Daemon,
    mock: MockUpstream,
    proxy: RefusingProxy,
    workspace: Path,
    tmp_path: Path,
) -> None:
    # Gemini CLI's routing model: every request with its key gets this JSON complexity score.
    mock.script_key(ROUTER_KEY, status=200, body=router_answer(score))
    home = tmp_path / "home"
    home.mkdir()
    run = run_gemini(None, daemon.listen, home, workspace, proxy)
    out = run.result.stdout

    assert run.result.returncode == 0, run.describe(daemon, mock)
    assert "tool said:" in out and SECRET in out, run.describe(daemon, mock)

    # Everything it asked for went through the daemon to the Gemini mock, and was served.
    upstream = {gemini_default_upstream(n): n for n in GEMINI_DEFAULT_NAMES}
    upstream["mock-router"] = GEMINI_ROUTER_MODEL
    asked = [upstream.get(r.model, r.model) for r in mock.requests]
    assert all(r.format == "gemini" and r.status == 200 for r in mock.requests), run.describe(
        daemon, mock
    )

    # First the routing call: non-streaming, no tools, to the small model, with the router's key.
    assert asked[:1] == [GEMINI_ROUTER_MODEL], run.describe(daemon, mock)
    router = mock.requests[0]
    assert router.path.endswith(":generateContent") and not router.stream, router.path
    assert router.api_key == ROUTER_KEY
    assert not (router.body or {}).get("tools"), "the routing call should carry no tools"
    assert PROMPT.encode() in router.raw, "the routing call did not carry the user's prompt"
    # Then the model the score picked, streamed: the tool call, then the tool result turn (no
    # second routing call: Gemini CLI routes a turn once, not its function responses).
    calls = mock.requests[1:]
    assert asked[1:] == [routed] * len(calls), run.describe(daemon, mock)
    assert len(calls) >= 2 and all(r.stream for r in calls), run.describe(daemon, mock)
    assert SECRET.encode() in calls[-1].raw, "the tool result did not reach the upstream"
    echoes = list(calls[-1].signature_echoes)
    assert echoes and all(e.matched for e in echoes), (
        f"the signed thinking did not come back intact; echoes: {echoes}\n"
        + run.describe(daemon, mock)
    )

    assert proxy.take() == [], "the agent tried to reach something other than 127.0.0.1"
