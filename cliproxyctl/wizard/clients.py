"""How to point each client at the proxy: what `cliproxyctl setup` prints at the end."""

from __future__ import annotations

from dataclasses import dataclass

CODEX_KEY_ENV = "CLIPROXY_API_KEY"


@dataclass(frozen=True, slots=True)
class ClientHowTo:
    client: str
    where: str  # what the snippet is: a shell, a file, code
    snippet: str


def proxy_base_url(host: str, port: int, tls: bool = False) -> str:
    """The URL a client on this machine uses: a wildcard listener is reached on loopback."""
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    return f"{'https' if tls else 'http'}://{host}:{port}"


def client_howtos(base_url: str, key: str) -> list[ClientHowTo]:
    """One entry per client; *key* is a client key of the proxy (or a placeholder)."""
    return [
        ClientHowTo(
            "Claude Code",
            "shell",
            f"export ANTHROPIC_BASE_URL={base_url}\nexport ANTHROPIC_AUTH_TOKEN={key}",
        ),
        ClientHowTo(
            "Codex CLI",
            "~/.codex/config.toml, then `export " + CODEX_KEY_ENV + "=…` in the shell",
            'model_provider = "cliproxy"\n\n'
            "[model_providers.cliproxy]\n"
            'name = "cliproxy"\n'
            f'base_url = "{base_url}/v1"\n'
            'wire_api = "responses"\n'
            f'env_key = "{CODEX_KEY_ENV}"\n'
            f"\n# shell:\nexport {CODEX_KEY_ENV}={key}",
        ),
        ClientHowTo(
            "Gemini CLI",
            "shell",
            f"export GOOGLE_GEMINI_BASE_URL={base_url}\nexport GEMINI_API_KEY={key}",
        ),
        ClientHowTo(
            "OpenAI SDK",
            "Python",
            "from openai import OpenAI\n"
            f'client = OpenAI(base_url="{base_url}/v1", api_key="{key}")',
        ),
        ClientHowTo(
            "Anthropic SDK",
            "Python",
            "from anthropic import Anthropic\n"
            f'client = Anthropic(base_url="{base_url}", api_key="{key}")',
        ),
        ClientHowTo(
            "curl",
            "shell",
            f'curl {base_url}/v1/models -H "Authorization: Bearer {key}"',
        ),
    ]


def render_howtos(howtos: list[ClientHowTo]) -> str:
    """Plain text: a heading per client, then its snippet indented by four spaces."""
    parts: list[str] = []
    for howto in howtos:
        body = "\n".join(f"    {line}" if line else "" for line in howto.snippet.splitlines())
        parts.append(f"{howto.client} ({howto.where}):\n{body}")
    return "\n\n".join(parts)
