#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Dependencies of the Cockpit page test (tests/cockpit/run.sh): Debian's
# cockpit-ws/-bridge/-system and chromium (apt-get, only what is missing),
# node >= 20 + npm (the machine's own if present, else Debian's), and
# playwright-core from the npm registry, pinned by package-lock.json, into
# tests/cockpit/node_modules. Playwright never downloads a browser: the test
# drives /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")"

need=()
for p in cockpit-ws cockpit-bridge cockpit-system chromium; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep '^install ok installed$' >/dev/null || need+=("$p")
done
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        need+=(nodejs npm)
fi
if [ ${#need[@]} -gt 0 ]; then
        if [ "$(id -u)" != 0 ]; then
                echo "deps.sh: missing ${need[*]} (run as root to install)" >&2
                exit 1
        fi
        echo "deps.sh: apt-get install ${need[*]}" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
        echo "deps.sh: node $(node --version) is too old for playwright-core (needs >= 20)" >&2
        exit 1
fi

want=$(node -p 'require("./package-lock.json").packages["node_modules/playwright-core"].version')
have=$(node -p 'try { require("./node_modules/playwright-core/package.json").version } catch (e) { "" }' 2>/dev/null || true)
if [ "$want" != "$have" ]; then
        echo "deps.sh: npm ci (playwright-core $want)" >&2
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
