/**
 * The default deadlines of rdd's waits, defined once (SPEC 2, 2.9, 4.5). A
 * command's `--timeout` default names one of these; nothing else spells a
 * default wait as a literal. `LongWait` is shared by the control plane's stop
 * and delete and by every LimaVM verb, on purpose: both wait for VMs to stop.
 */
import { Duration } from "effect"

/** `svc start` (and the `--timeout` default text "90s"). */
export const StartWait = Duration.seconds(90)
export const StartWaitText = "90s"

/** `svc stop`, `svc delete` and the LimaVM verbs: 5 minutes. */
export const LongWait = Duration.minutes(5)
export const LongWaitText = "5m"

/** Autostart never waits longer than this, whatever the command's own deadline (SPEC 2.9). */
export const AutostartCap = Duration.seconds(90)

/** After a stop deadline, how long the CLI confirms that the forceful signal ended the daemon. */
export const StopConfirm = Duration.seconds(2)
export const AutostartCapText = "90s"
