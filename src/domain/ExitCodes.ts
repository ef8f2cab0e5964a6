/**
 * The exit-code table of SPEC 1.1, on its own so that code running before Effect
 * loads (the bin's `rdd ctl` path, src/plain/ctl.ts) uses the same numbers.
 * Which outcome gets which code is decided in ExitCode.ts.
 */
export const ExitCode = {
  Success: 0,
  Failure: 1,
  Usage: 2,
  Rejected: 3,
  Timeout: 4,
  Interrupted: 130
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]
