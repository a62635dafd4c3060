#!/usr/bin/env bash
# Debian's Chromium for the console's browser test (playwright-core drives it; nothing is downloaded
# by Playwright itself). Installs it with apt-get when missing; prints the browser's path.
#
#   scripts/chromium.sh        # CHROMIUM_PATH overrides where the browser is looked for
set -euo pipefail
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ ! -x "$browser" ]]; then
  echo "chromium: $browser is missing; installing Debian's chromium with apt-get" >&2
  sudo=""
  if [[ "$(id -u)" != 0 ]]; then sudo="sudo"; fi
  $sudo apt-get update >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends chromium >&2
fi
if [[ ! -x "$browser" ]]; then
  echo "chromium: $browser is still missing after apt-get install chromium" >&2
  exit 1
fi
echo "$browser"
