#!/usr/bin/env bash
# Runs `button-agent doctor` exactly as the service runs: same user, groups and settings.
set -euo pipefail
exec systemd-run --quiet --pipe --wait --collect \
  --property=User=vigie --property=SupplementaryGroups=gpio \
  --property=WorkingDirectory=/opt/vigie \
  --property=Environment=VIGIE_SPOOL_DIR=/var/lib/vigie-agent/spool \
  --property=EnvironmentFile=/etc/vigie/button-agent.env \
  /usr/bin/node /opt/vigie/dist/apps/button-agent/main.js doctor
