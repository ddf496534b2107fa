#!/usr/bin/env bash
# Install the real coding agents the e2e tests drive (tests/e2e/test_agents.py) into a cache folder
# outside the repository: $CLIPROXY_AGENTS_DIR, default /tmp/cliproxy-agents.
# Idempotent: when every pinned version is already installed it only checks and returns.
# Needs node and npm, and the npm registry (the only network it uses).
set -euo pipefail

dir="${CLIPROXY_AGENTS_DIR:-/tmp/cliproxy-agents}"
# Pinned so CI is reproducible; bump together with the facts noted in tests/e2e/test_agents.py.
# CLIPROXY_AGENTS_LATEST=1 installs the current releases instead (to see what a new one breaks).
packages=(
    "@anthropic-ai/claude-code@2.1.197"
    "@openai/codex@0.169.0"
    "@google/gemini-cli@0.61.0"
)
if [ "${CLIPROXY_AGENTS_LATEST:-0}" = "1" ]; then
    packages=("@anthropic-ai/claude-code@latest" "@openai/codex@latest" "@google/gemini-cli@latest")
fi

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    echo "install_agents: node and npm are required" >&2
    exit 1
fi

installed() {  # installed NAME@VERSION: the package.json under node_modules has that version
    local spec="$1" name version
    name="${spec%@*}"
    version="${spec##*@}"
    [ "$version" != "latest" ] || return 1
    [ -f "$dir/node_modules/$name/package.json" ] || return 1
    node -e 'const p = require(process.argv[1]); process.exit(p.version === process.argv[2] ? 0 : 1)' \
        "$dir/node_modules/$name/package.json" "$version"
}

missing=()
for spec in "${packages[@]}"; do
    installed "$spec" || missing+=("$spec")
done
for bin in claude codex gemini; do
    [ -x "$dir/node_modules/.bin/$bin" ] || missing+=("$bin")
done

if [ "${#missing[@]}" -gt 0 ]; then
    echo "install_agents: installing ${packages[*]} into $dir"
    mkdir -p "$dir"
    [ -f "$dir/package.json" ] || echo '{"private": true}' >"$dir/package.json"
    # Install scripts stay on: Claude Code's postinstall puts its native binary in place.
    npm install --prefix "$dir" --no-audit --no-fund --no-update-notifier --loglevel=error \
        "${packages[@]}"
fi

# A quick smoke check: each binary starts and reports its version (no network needed).
export DISABLE_AUTOUPDATER=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_TELEMETRY=1
for bin in claude codex gemini; do
    version="$(timeout 60 "$dir/node_modules/.bin/$bin" --version 2>/dev/null | tail -n 1)" || {
        echo "install_agents: $bin --version failed" >&2
        exit 1
    }
    echo "install_agents: $bin $version"
done
