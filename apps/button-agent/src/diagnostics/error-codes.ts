/**
 * Every failure code the agent logs, with what it means and what a technician should check.
 * The same table feeds the log lines (`code`, `meaning`, `check`) and `doctor`.
 */
export interface ErrorCodeInfo {
  meaning: string;
  check: string;
}

const NETWORK: Record<string, ErrorCodeInfo> = {
  ECONNREFUSED: {
    meaning: 'the server machine answered but nothing listens on that port',
    check:
      'is the alert server running (systemctl status vigie-alert-server)? is the port in VIGIE_SERVER_URL right?',
  },
  ETIMEDOUT: {
    meaning: 'no answer in time: the server or the network path is down or overloaded',
    check: 'ping the server; check the cable/Wi-Fi, the switch, a firewall dropping packets',
  },
  ECONNRESET: {
    meaning: 'the connection was cut in the middle of the exchange',
    check:
      'a restarting server, a proxy or a firewall closing connections; look at the server log at that time',
  },
  EAI_AGAIN: {
    meaning: 'the server name could not be resolved right now (DNS not answering)',
    check: 'check the DNS server in /etc/resolv.conf, or use the server IP address in VIGIE_SERVER_URL',
  },
  ENOTFOUND: {
    meaning: 'the server name does not exist in DNS',
    check: 'check the spelling of the host in VIGIE_SERVER_URL, or use its IP address',
  },
  EHOSTUNREACH: {
    meaning: 'no route to the server machine',
    check: 'is the server on? same network/VLAN? check the IP address and the gateway (ip route)',
  },
  ENETUNREACH: {
    meaning: 'this Pi has no network to reach the server',
    check: 'is the Pi connected (ip addr)? does it have an address and a default route?',
  },
  EPIPE: {
    meaning: 'the server closed the connection while we were sending',
    check: 'a restarting server or a proxy; look at the server log at that time',
  },
  CERT_INVALID: {
    meaning: 'the server TLS certificate is not trusted, expired or for another name',
    check:
      'set VIGIE_CA_FILE to the CA that signed the server certificate; check the host name and the Pi clock',
  },
  ERR_BAD_RESPONSE: {
    meaning: 'the server answered something that is not HTTP as expected',
    check: 'is VIGIE_SERVER_URL pointing at the Vigie alert server (and http vs https right)?',
  },
  NETWORK_ERROR: {
    meaning: 'an unclassified network error',
    check: 'see `err` in the log line; run `button-agent doctor`',
  },
};

const HTTP: Record<string, ErrorCodeInfo> = {
  HTTP_400: {
    meaning: 'the server refused the alert as invalid',
    check:
      'the alert is kept in the spool rejected/ folder with the answer; check VIGIE_BUTTONS, VIGIE_LOCATION and the agent version',
  },
  HTTP_401: {
    meaning: 'the server does not know this device token (missing, wrong or revoked)',
    check:
      'create a token on the server (device add) and put it in VIGIE_DEVICE_TOKEN, then restart the agent',
  },
  HTTP_403: {
    meaning: 'the token belongs to another device than VIGIE_DEVICE_ID',
    check: 'use the token made for this device id, or set VIGIE_DEVICE_ID to the id the token was made for',
  },
  HTTP_404: {
    meaning: 'the server has no such route: VIGIE_SERVER_URL does not point at the alert server',
    check: 'check the address and port; do not add a path after the port',
  },
  HTTP_408: {
    meaning: 'the server timed out reading our request',
    check: 'a slow or lossy network; retried automatically',
  },
  HTTP_409: {
    meaning: 'an alert with this id already exists with other content',
    check: 'kept in rejected/; report it (an agent bug or two devices sharing a spool)',
  },
  HTTP_413: {
    meaning: 'the alert is larger than the server accepts',
    check: 'shorten the message or labels; kept in rejected/',
  },
  HTTP_415: {
    meaning: 'the server did not accept the request as JSON',
    check: 'a proxy rewriting requests? kept in rejected/',
  },
  HTTP_422: { meaning: 'the server could not process the alert', check: 'kept in rejected/ with the answer' },
  HTTP_429: {
    meaning: 'the server asks this device to slow down',
    check: 'retried after the time the server gave; a stuck button or a loop sending alerts?',
  },
  HTTP_5XX: {
    meaning: 'the server failed or is not ready (e.g. its store is unavailable)',
    check: 'look at the alert server log and /health/ready; retried automatically',
  },
};

const LOCAL: Record<string, ErrorCodeInfo> = {
  SPOOL_WRITE_FAILED: {
    meaning: 'a press could not be made durable in the spool (disk full, read-only or failing SD card)',
    check: 'df -h; dmesg for I/O errors; the agent exits so that systemd restarts it from what is on disk',
  },
  SPOOL_FILE_UNREADABLE: {
    meaning: 'a spool file was torn or unreadable and was set aside in unreadable/',
    check: 'usually a power cut during a write; look at the file; a failing SD card if it repeats',
  },
  GPIO_UNAVAILABLE: {
    meaning: 'no GPIO driver works on this system',
    check:
      'install the gpiod package (apt install gpiod), add the user to the gpio group, or set VIGIE_GPIO_DRIVER',
  },
  GPIOMON_EXITED: {
    meaning: 'gpiomon stopped; the agent restarts it',
    check: 'if it repeats: is the line used by another program (gpioinfo)? is the user in the gpio group?',
  },
  GPIOMON_START_FAILED: {
    meaning: 'gpiomon exited before it watched the buttons (its stderr is in the log line)',
    check:
      '"Device or resource busy": another program holds the line (gpioinfo shows it); "Permission denied": add the user to the gpio group',
  },
  GPIOMON_OUTPUT_UNEXPECTED: {
    meaning: 'gpiomon printed a line the agent does not understand; it was ignored',
    check: 'a gpiod version the agent does not know? report the line and `gpiomon --version`',
  },
  GPIO_LINE_NOT_FOUND: {
    meaning: 'no GPIO line carries the name of a configured pin (e.g. GPIO17)',
    check: 'check the pins in VIGIE_BUTTONS (BCM numbers); `gpioinfo` lists the line names of this board',
  },
  GPIO_SYSFS_NUMBERING: {
    meaning:
      'this kernel numbers sysfs GPIOs from a non-zero base (512 or 571 on current kernels), which the rpi-gpio driver cannot use',
    check: 'set VIGIE_GPIO_DRIVER=gpiod (apt install gpiod)',
  },
  RPI_GPIO_MODULE_MISSING: {
    meaning:
      'the rpi-gpio driver needs the rpi-gpio package, which the one-file agent does not carry, or its native epoll module was built for another Node.js',
    check:
      'cd /opt/vigie-agent && npm install rpi-gpio@2 (needs build-essential and python3), or set VIGIE_GPIO_DRIVER=gpiod (apt install gpiod)',
  },
  GPIOSET_START_FAILED: {
    meaning:
      'gpioset could not hold the status light or buzzer line at start (its stderr is in the message); the agent runs without them',
    check:
      '"Device or resource busy": another program holds the line (gpioinfo shows it); "Permission denied": add the user to the gpio group; check VIGIE_LED_PIN and VIGIE_BUZZER_PIN',
  },
  GPIOSET_EXITED: {
    meaning: 'a gpioset holding the status light or buzzer stopped on its own; the agent restarts it',
    check: 'if it repeats: is the line used by another program (gpioinfo)? is the user in the gpio group?',
  },
  GPIO_SYSFS_WRITE_FAILED: {
    meaning:
      'the status light or buzzer could not be set through /sys/class/gpio (logged once per run of failures)',
    check: 'another program unexported the pin? the gpio group rights? prefer VIGIE_GPIO_DRIVER=gpiod',
  },
  FEEDBACK_UNAVAILABLE: {
    meaning:
      "no driver can drive the status light and buzzer (each driver's reason is in `skipped`); alerts are still sent",
    check:
      'install the gpiod package (apt install gpiod), add the user to the gpio group, check VIGIE_LED_PIN and VIGIE_BUZZER_PIN (gpioinfo lists the lines)',
  },
  KEYBOARD_UNKNOWN_BUTTON: {
    meaning: 'a line typed for the keyboard driver names no configured button; nothing was pressed',
    check: 'type an empty line, or a pin, type or label listed in VIGIE_BUTTONS',
  },
  FEEDBACK_OUTPUT_FAILED: {
    meaning: 'the status light or buzzer could not be set; alerts are not affected',
    check: 'the wiring and VIGIE_LED_PIN / VIGIE_BUZZER_PIN; run `button-agent doctor`',
  },
  SPOOL_READ_FAILED: {
    meaning: 'the spool folder could not be listed or read; delivery tries again',
    check: 'permissions and free space of VIGIE_SPOOL_DIR (ls -ld, df -h); dmesg for SD card errors',
  },
  SPOOL_UPDATE_FAILED: {
    meaning: 'the server answered, but the spool could not be updated; the alert is tried again',
    check: 'permissions and free space of VIGIE_SPOOL_DIR; a retry is harmless, the server keeps one copy',
  },
  AGENT_FAILED: {
    meaning: 'the agent stopped on an unexpected error (its stack is in `err`); systemd restarts it',
    check: 'read `err`; if it repeats, run `button-agent doctor` and report the log line',
  },
};

export const ERROR_CODES: Readonly<Record<string, ErrorCodeInfo>> = { ...NETWORK, ...HTTP, ...LOCAL };

const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The stable code for a failed request: a system error code, or HTTP_<status>. */
export function codeForNetworkError(systemCode: string | undefined): string {
  if (!systemCode) return 'NETWORK_ERROR';
  if (CERT_CODES.has(systemCode)) return systemCode;
  if (systemCode === 'ECONNABORTED' || systemCode === 'ESOCKETTIMEDOUT') return 'ETIMEDOUT';
  return NETWORK[systemCode] ? systemCode : 'NETWORK_ERROR';
}

export function codeForStatus(status: number): string {
  return `HTTP_${status}`;
}

/** Meaning and advice for a code; 5xx codes share one entry. */
export function describeCode(code: string): ErrorCodeInfo {
  if (/^HTTP_5\d\d$/.test(code)) return HTTP.HTTP_5XX;
  if (CERT_CODES.has(code)) return NETWORK.CERT_INVALID;
  return (
    ERROR_CODES[code] ?? {
      meaning: 'an unexpected failure',
      check: 'see `err` in the log line; run `button-agent doctor`',
    }
  );
}
