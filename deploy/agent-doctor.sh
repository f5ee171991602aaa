#!/usr/bin/env bash
# Runs the agent's `doctor` exactly as the service runs it: same user, groups, folder and
# settings. Packed in the agent bundle: sudo /opt/vigie-agent/doctor.sh
set -euo pipefail
exec systemd-run --quiet --pipe --wait --collect \
  --property=User=vigie --property=SupplementaryGroups=gpio \
  --property=WorkingDirectory=/opt/vigie-agent \
  --property=Environment=NODE_ENV=production \
  --property=Environment=VIGIE_SPOOL_DIR=/var/lib/vigie-agent/spool \
  --property=EnvironmentFile=/etc/vigie/button-agent.env \
  /usr/bin/node /opt/vigie-agent/vigie-agent.js doctor "$@"
