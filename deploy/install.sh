#!/bin/sh
# Installs the Vigie button agent on a Raspberry Pi (Raspberry Pi OS or Debian) from the alert
# server alone, and enrolls it with a one-time code from the dashboard:
#   curl -fsSL <server>/agent/install.sh | sudo sh -s -- <code>
# Run it again to upgrade the agent in place: the token, the settings and the spool are kept
# (the code is then not needed). The last line says whether it worked, or what to do.
set -u

# The alert server fills this line in with its own address when it serves the script.
server=''

readonly APP_DIR=/opt/vigie-agent
readonly ENV_DIR=/etc/vigie
readonly ENV_FILE=/etc/vigie/button-agent.env
readonly STATE_DIR=/var/lib/vigie-agent
readonly UNIT=vigie-button-agent.service
readonly MIN_NODE_MAJOR=20

code=${1:-}
step=checks
work=''

say() { printf '==> %s\n' "$*"; }
fail() {
  printf 'Vigie: FAILED at %s: %s\n' "$step" "$*"
  exit 1
}
new_env=''
cleanup() {
  [ -z "$work" ] || rm -rf "$work"
  [ -z "$new_env" ] || rm -f "$new_env" "$new_env.next"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The value of NAME in the env file (the last line setting it; quotes around it removed).
setting() {
  [ -f "$ENV_FILE" ] || return 0
  sed -n "s/^$1=//p" "$ENV_FILE" | tail -n 1 | sed "s/^'\(.*\)'\$/\1/; s/^\"\(.*\)\"\$/\1/"
}

node_too_old() {
  fail "Node.js $1 is what this system offers; Vigie needs ${MIN_NODE_MAJOR} or newer: install it from NodeSource's Debian packages or move to Raspberry Pi OS Trixie (Debian 13), then run this again"
}

# --- checks: refuse before changing anything ----------------------------------------------
say "Checking this system"
[ -n "$server" ] || fail "this copy does not know its server: run curl -fsSL http://<alert server>/agent/install.sh | sudo sh -s -- <code>"
[ "$(id -u)" -eq 0 ] || fail "run it as root: curl -fsSL $server/agent/install.sh | sudo sh -s -- <code>"
command -v apt-get > /dev/null 2>&1 || fail "apt-get not found: this script is for Raspberry Pi OS or Debian"
if [ -d /run/systemd/system ]; then
  systemd_running=yes
elif command -v systemctl > /dev/null 2>&1; then
  # An image being prepared (chroot) or a container: the service is enabled for the next boot.
  systemd_running=no
else
  fail "systemd not found: the agent runs as a systemd service; use Raspberry Pi OS or Debian with systemd"
fi
token=$(setting VIGIE_DEVICE_TOKEN)
if [ -z "$token" ]; then
  [ -n "$code" ] || fail "no enrollment code given: make one on the dashboard (Add a button) and run the command it shows"
  case $code in
    *[!A-Za-z0-9_-]*) fail "this is not an enrollment code: copy the whole command from the dashboard" ;;
  esac
fi

# --- packages -------------------------------------------------------------------------------
step=packages
missing=''
command -v node > /dev/null 2>&1 || missing="$missing nodejs"
command -v gpiomon > /dev/null 2>&1 || missing="$missing gpiod"
command -v curl > /dev/null 2>&1 || missing="$missing curl"
[ -f /etc/ssl/certs/ca-certificates.crt ] || missing="$missing ca-certificates"
if [ -n "$missing" ]; then
  say "Reading Debian's package lists (apt-get update)"
  apt-get update -q > /dev/null || fail "apt-get update failed: check the network and /etc/apt/sources.list, then run this again"
fi
if command -v node > /dev/null 2>&1; then
  node_version=$(node --version)
else
  node_version=$(apt-cache policy nodejs | sed -n 's/^ *Candidate: *//p')
  node_version=${node_version#*:} # drop a Debian epoch such as "1:"
  case $node_version in "" | "(none)") node_too_old "(none)" ;; esac
fi
node_major=${node_version#v}
node_major=${node_major%%.*}
case $node_major in '' | *[!0-9]*) node_too_old "$node_version" ;; esac
[ "$node_major" -ge "$MIN_NODE_MAJOR" ] || node_too_old "$node_version"
if [ -n "$missing" ]; then
  say "Installing from Debian:$missing"
  # shellcheck disable=SC2086 # one word per package
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing > /dev/null \
    || fail "apt-get install$missing failed: see the lines above, fix apt, then run this again"
else
  say "Node.js $node_version, gpiod, curl and ca-certificates are already here"
fi

# --- service user ---------------------------------------------------------------------------
step=user
say "Creating the service user 'vigie' in the group 'gpio'"
getent group gpio > /dev/null || groupadd --system gpio || fail "groupadd gpio failed"
if ! id vigie > /dev/null 2>&1; then
  useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home --shell /usr/sbin/nologin vigie \
    || fail "useradd vigie failed"
fi
usermod --append --groups gpio vigie || fail "usermod vigie failed"
install -d -m 0750 -o vigie -g vigie "$STATE_DIR" || fail "cannot create $STATE_DIR"

# --- agent ----------------------------------------------------------------------------------
step=download
say "Downloading the agent from $server/agent/vigie-agent.tgz into $APP_DIR"
# Unpacked beside the installed one, then swapped: a failed download leaves the old agent whole.
work=$(mktemp -d /opt/.vigie-agent.XXXXXX) || fail "cannot write in /opt"
curl -fsS --retry 3 -o "$work/vigie-agent.tgz" "$server/agent/vigie-agent.tgz" \
  || fail "cannot download the agent from $server: check that this Pi reaches the alert server, then run this again"
if ! tar -xzf "$work/vigie-agent.tgz" -C "$work" || [ ! -f "$work/vigie-agent/vigie-agent.js" ]; then
  fail "the downloaded agent is damaged: run this again"
fi
chmod 0755 "$work/vigie-agent"
if [ -d "$APP_DIR" ]; then mv "$APP_DIR" "$work/previous" || fail "cannot move the old $APP_DIR aside"; fi
mv "$work/vigie-agent" "$APP_DIR" || fail "cannot put the agent in $APP_DIR"
say "Agent $(cat "$APP_DIR/VERSION") is in $APP_DIR"

# --- enrollment -----------------------------------------------------------------------------
step=enroll
if [ -n "$token" ]; then
  device_id=$(setting VIGIE_DEVICE_ID)
  say "Already enrolled as ${device_id:-this Pi}: keeping its token and settings${code:+ (the code is not used)}"
else
  say "Enrolling with the code"
  status=$(curl -sS -o "$work/enrolled.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data "{\"code\":\"$code\"}" "$server/devices/enroll") \
    || fail "cannot reach $server: check that this Pi reaches the alert server, then run this again"
  case $status in
    201) ;;
    401) fail "code used, unknown or expired: make a new one on the dashboard" ;;
    429) fail "too many enrollment attempts from this Pi: wait a minute, then run this again" ;;
    *) fail "the server answered $status: see its log, then run this again with a new code" ;;
  esac
  # One field of the answer, on one line, without what an env file would read as quoting.
  field() {
    node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8"))[process.argv[1]];
      process.stdout.write(String(v ?? "").replace(/[\0-\x1f\x7f"'\''\\$`]/g, " ").trim())' "$1" < "$work/enrolled.json"
  }
  device_id=$(field deviceId)
  token=$(field token)
  location=$(field location)
  if [ -z "$device_id" ] || [ -z "$token" ]; then
    fail "the server's answer holds no token: run this again with a new code"
  fi
  say "Enrolled as $device_id${location:+ ($location)}"
fi

# --- settings -------------------------------------------------------------------------------
step=settings
say "Writing $ENV_FILE (mode 0640, root:vigie; settings already there are kept)"
install -d -m 0755 "$ENV_DIR" || fail "cannot create $ENV_DIR"
new_env=$(mktemp "$ENV_DIR/.button-agent.env.XXXXXX") || fail "cannot write in $ENV_DIR"
if [ -f "$ENV_FILE" ]; then
  cat "$ENV_FILE" > "$new_env"
else
  printf '# Vigie button agent settings (docs/agent.md); written by install.sh, yours to edit.\n' > "$new_env"
fi
# NAME=VALUE in place of any line setting NAME.
put() {
  grep -v "^$1=" "$new_env" > "$new_env.next"
  printf '%s=%s\n' "$1" "$2" >> "$new_env.next"
  mv "$new_env.next" "$new_env"
}
# NAME=VALUE unless the file sets NAME already.
default() { grep -q "^$1=" "$new_env" || printf '%s=%s\n' "$1" "$2" >> "$new_env"; }
if [ -z "$(setting VIGIE_DEVICE_TOKEN)" ]; then
  put VIGIE_SERVER_URL "$server"
  put VIGIE_DEVICE_ID "$device_id"
  put VIGIE_DEVICE_TOKEN "$token"
  [ -z "$location" ] || put VIGIE_LOCATION "$location"
fi
default VIGIE_SERVER_URL "$server"
default VIGIE_BUTTONS 17:panic
default VIGIE_GPIO_DRIVER auto
default VIGIE_DEBOUNCE_MS 30
default VIGIE_HOLD_MS 0
default VIGIE_HEARTBEAT_S 30
default LOG_LEVEL info
if ! chmod 0640 "$new_env" || ! chown root:vigie "$new_env" || ! mv "$new_env" "$ENV_FILE"; then
  fail "cannot write $ENV_FILE"
fi
server_url=$(setting VIGIE_SERVER_URL)

# --- service --------------------------------------------------------------------------------
step=service
say "Installing and enabling $UNIT"
install -m 0644 "$APP_DIR/$UNIT" "/etc/systemd/system/$UNIT" || fail "cannot write /etc/systemd/system/$UNIT"
if [ "$systemd_running" = yes ]; then
  systemctl daemon-reload || fail "systemctl daemon-reload failed"
  systemctl enable --quiet "$UNIT" || fail "systemctl enable $UNIT failed"
  say "Starting $UNIT (restarted if it was running)"
  systemctl restart "$UNIT" || fail "$UNIT does not start: see journalctl -u $UNIT"
else
  systemctl enable --quiet "$UNIT" 2> /dev/null \
    || fail "systemctl enable $UNIT failed: enable it by hand once systemd runs"
  say "systemd is not running here: $UNIT is enabled and starts at the next boot"
fi

# --- doctor ---------------------------------------------------------------------------------
step=doctor
say "Checking the agent as the service runs it (doctor)"
# systemd-run --pipe --wait needs the D-Bus system bus, which a minimal Debian may not run.
if [ "$systemd_running" = yes ] && systemctl is-active --quiet dbus.socket; then
  systemd-run --quiet --pipe --wait --collect \
    --property=User=vigie --property=SupplementaryGroups=gpio \
    --property=WorkingDirectory="$APP_DIR" --property=Environment=NODE_ENV=production \
    --property=Environment=VIGIE_SPOOL_DIR="$STATE_DIR/spool" --property=EnvironmentFile="$ENV_FILE" \
    /usr/bin/node "$APP_DIR/vigie-agent.js" doctor > "$work/doctor.txt" 2>&1
else
  # The unit's user, groups, working directory and environment, without systemd(-run).
  (
    cd "$APP_DIR" || exit 1
    export NODE_ENV=production VIGIE_SPOOL_DIR="$STATE_DIR/spool"
    while IFS= read -r line; do
      case $line in
        [A-Za-z_]*=*) export "${line%%=*}=$(setting "${line%%=*}")" ;;
      esac
    done < "$ENV_FILE"
    exec setpriv --reuid=vigie --regid=vigie --init-groups /usr/bin/node "$APP_DIR/vigie-agent.js" doctor
  ) > "$work/doctor.txt" 2>&1
fi
sed 's/^/    /' "$work/doctor.txt"
# The buttons' wiring is checked by pressing one; what decides is whether alerts can go out.
if grep '^FAIL' "$work/doctor.txt" | grep -qv '^FAIL gpio '; then
  fail "the agent cannot deliver: fix what the FAIL lines above say in $ENV_FILE, then run this again"
fi
grep -q '^OK   credentials ' "$work/doctor.txt" \
  || fail "doctor did not run to the end: see the lines above, then run this again"
if grep -q '^FAIL gpio ' "$work/doctor.txt"; then
  say "The buttons cannot be read yet (FAIL gpio above): check the wiring and VIGIE_BUTTONS in $ENV_FILE"
fi

printf 'Vigie: %s installed and delivering to %s\n' "${device_id:-$(setting VIGIE_DEVICE_ID)}" "$server_url"
