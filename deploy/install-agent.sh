#!/usr/bin/env bash
# Installs the Vigie button agent on a fresh Raspberry Pi OS (Bookworm or Trixie) or Debian.
# Run from a checkout of Vigie at /opt/vigie:  sudo ./deploy/install-agent.sh
set -euo pipefail

APP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly APP_DIR
readonly ENV_FILE=/etc/vigie/button-agent.env
readonly UNIT=vigie-button-agent.service
readonly MIN_NODE_MAJOR=20

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
fail() {
  printf 'install-agent: %s\n' "$*" >&2
  exit 1
}

[[ $(id -u) -eq 0 ]] || fail "run as root: sudo $0"
[[ "$APP_DIR" == /opt/vigie ]] || fail "clone Vigie to /opt/vigie first (the service runs from there), then run /opt/vigie/deploy/install-agent.sh"
command -v apt-get > /dev/null || fail "apt-get not found: this script is for Raspberry Pi OS or Debian"

node_too_old() {
  fail "Node.js $1 is what this system offers, but Vigie needs Node.js ${MIN_NODE_MAJOR} or newer.
  Raspberry Pi OS Bookworm ships Node.js 18: install Node.js ${MIN_NODE_MAJOR}+ from the NodeSource
  Debian packages (or the official Node.js arm64/armv7l binaries in /usr/local), check that
  'node --version' prints v${MIN_NODE_MAJOR} or newer, then run this script again.
  Raspberry Pi OS Trixie ships a recent enough Node.js."
}

say "Checking Node.js"
apt-get update
packages=(gpiod ca-certificates python3 make g++)
if command -v node > /dev/null; then
  # Keep the Node.js already there (e.g. NodeSource's, which bundles npm): Debian's npm
  # package would pull Debian's nodejs back in.
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  ((node_major >= MIN_NODE_MAJOR)) || node_too_old "$(node --version)"
  command -v npm > /dev/null || packages+=(npm)
else
  candidate=$(apt-cache policy nodejs | awk '/Candidate:/ { print $2 }')
  candidate=${candidate#*:} # drop a Debian epoch such as "1:"
  [[ -n "$candidate" && "$candidate" != "(none)" ]] || node_too_old "(none)"
  ((${candidate%%.*} >= MIN_NODE_MAJOR)) || node_too_old "$candidate"
  packages+=(nodejs npm)
fi

say "Installing Debian packages: ${packages[*]}"
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"

say "Creating the service user 'vigie' (member of the gpio group)"
getent group gpio > /dev/null || groupadd --system gpio
if ! id vigie > /dev/null 2>&1; then
  useradd --system --home-dir /var/lib/vigie-agent --no-create-home --shell /usr/sbin/nologin vigie
fi
usermod --append --groups gpio vigie

say "Building the agent (npm ci, npm run build) in $APP_DIR"
cd "$APP_DIR"
npm ci --no-audit --no-fund
npm run build
npm prune --omit=dev --no-audit --no-fund

say "Configuration in $ENV_FILE"
install -d -m 0755 /etc/vigie
if [[ ! -f "$ENV_FILE" ]]; then
  install -m 0640 -g vigie deploy/button-agent.env.example "$ENV_FILE"
  created_env=yes
fi

say "Installing and enabling $UNIT"
install -m 0644 "deploy/systemd/$UNIT" "/etc/systemd/system/$UNIT"
if [[ -d /run/systemd/system ]]; then
  systemctl daemon-reload
  systemctl enable "$UNIT"
else
  # An image being prepared (chroot) or a container: enable for the next boot only.
  install -d /etc/systemd/system/multi-user.target.wants
  ln -sf "/etc/systemd/system/$UNIT" "/etc/systemd/system/multi-user.target.wants/$UNIT"
  say "systemd is not running here: $UNIT will start at the next boot"
  systemd_running=no
fi

if [[ "${created_env:-}" == yes || "${systemd_running:-yes}" == no ]]; then
  cat << MSG

Installed. Now edit $ENV_FILE (at least VIGIE_SERVER_URL, VIGIE_LOCATION, VIGIE_BUTTONS), then:
  sudo systemctl start $UNIT
  sudo $APP_DIR/deploy/agent-doctor.sh
  journalctl -u $UNIT -f
MSG
else
  systemctl restart "$UNIT"
  say "Restarted $UNIT with the existing $ENV_FILE; check it with: journalctl -u $UNIT -f"
fi
