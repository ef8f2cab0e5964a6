/**
 * The default deadlines of rdd's waits, defined once (SPEC 2, 2.9, 4.5). A
 * command's `--timeout` default names one of these; nothing else spells a
 * default wait as a literal. Each is written once, as the Go duration its
 * `--timeout` flag shows, and parsed from it (no second copy to drift).
 * `LongWait` is shared by the control plane's stop and delete and by every
 * LimaVM verb, on purpose: they all wait for VMs to stop.
 */
import * as Either from "effect/Either"
import * as GoDuration from "./GoDuration.js"

const parse = (text: string) => Either.getOrThrowWith(GoDuration.parse(text), (e) => new Error(`bad default ${text}: ${e.message}`))

/** `svc start` and `svc config`. */
export const StartWaitText = "90s"
export const StartWait = parse(StartWaitText)

/** `svc stop`, `svc delete` and the LimaVM verbs. */
export const LongWaitText = "5m"
export const LongWait = parse(LongWaitText)

/** Autostart never waits longer than this, whatever the command's own deadline (SPEC 2.9). */
export const AutostartCap = parse("90s")

/** `rdd set --help` reads the running control plane's App CRD within this, else shows the built-in one. */
export const HelpRead = parse("5s")

/** After a stop deadline, how long the CLI confirms that the forceful signal ended the daemon. */
export const StopConfirm = parse("2s")
