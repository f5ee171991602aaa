/** Exit statuses of the agent's commands, which scripts rely on (sysexits.h numbers where they exist). */
export const EXIT = {
  OK: 0,
  FAILURE: 1,
  /** Bad command line (sysexits EX_USAGE). */
  USAGE: 64,
  /** Safely spooled but not delivered yet (EX_TEMPFAIL): a running agent or the next run delivers it. */
  SPOOLED: 75,
  /** Bad configuration (EX_CONFIG). */
  CONFIG: 78,
} as const;
