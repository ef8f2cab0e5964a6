/**
 * What the lifecycle commands share: the `--controllers`/`--secure-port`
 * settings flags, and running a ControlPlane program with one deadline and the
 * `--output json` outcome record.
 */
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { LifecycleVerb } from "../../domain/CommandLine.js"
import * as ControllerSpec from "../../domain/ControllerSpec.js"
import { restoreEmpty } from "./serveArgs.js"
import { InstanceDir } from "../../services/InstanceDir.js"
import { Invocation } from "../../services/Invocation.js"
import * as Verbosity from "../../domain/Verbosity.js"
import { reporting, type Result } from "../../services/Outcome.js"
import type { Settings } from "../../services/ControlPlane.js"

const invalid = (text: string) => ValidationError.invalidValue(HelpDoc.p(text))

// --controllers and --secure-port, read by `svc start` (and `svc create`) and by the
// daemon it spawns (`svc serve`): one name, description and check for both.
const controllersFlag = Options.text("controllers").pipe(
  Options.withPseudoName("SPEC"),
  Options.withDescription("Controllers to run: comma-separated names or API groups, * for all, a leading - excludes (builtin controllers always run)")
)
const securePortFlag = Options.text("secure-port").pipe(
  Options.withPseudoName("N"),
  Options.withDescription("API server port on 127.0.0.1 (default 6443 + instance index; a taken port falls back to a free one)")
)

const checkControllers = (given: string): Effect.Effect<string, ValidationError.ValidationError> => {
  const spec = restoreEmpty(given)
  return Either.match(ControllerSpec.parse(spec), { onLeft: (m) => Effect.fail(invalid(m)), onRight: () => Effect.succeed(spec) })
}

/** Parsed here rather than with Options.integer, whose error ("'x' is not a integer") does not name the flag. */
const checkPort = (raw: string): Effect.Effect<number, ValidationError.ValidationError> => {
  const p = /^[0-9]{1,5}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN
  return p >= 1 && p <= 65535
    ? Effect.succeed(p)
    : Effect.fail(invalid(`invalid value ${JSON.stringify(raw)} for --secure-port: expected a port number 1..65535`))
}

const optional = <A>(check: (raw: string) => Effect.Effect<A, ValidationError.ValidationError>) => (o: Option.Option<string>) =>
  Option.match(o, { onNone: () => Effect.succeed(Option.none<A>()), onSome: (raw) => Effect.map(check(raw), Option.some) })

export const controllers = controllersFlag.pipe(Options.optional, Options.mapEffect(optional(checkControllers)))
export const securePort = securePortFlag.pipe(Options.optional, Options.mapEffect(optional(checkPort)))

const last = <A>(values: ReadonlyArray<A>): A | undefined => values[values.length - 1]

/**
 * `svc serve`'s form: repeated, the last occurrence wins (the spawner appends the
 * session's flags after the saved ones); no --controllers means every controller.
 */
export const serveControllers = controllersFlag.pipe(
  Options.repeated,
  Options.mapEffect((values) => checkControllers(last(values) ?? ControllerSpec.DefaultSpec))
)
export const serveSecurePort = securePortFlag.pipe(
  Options.repeated,
  Options.mapEffect((values) => {
    const raw = last(values)
    return raw === undefined ? Effect.succeed(undefined) : checkPort(raw)
  })
)

export const settings = (o: { readonly controllers: Option.Option<string>; readonly securePort: Option.Option<number> }): Settings => ({
  controllers: o.controllers,
  securePort: o.securePort
})

/** `-v` for this run only: when the command line asked for a level (the saved one applies otherwise). */
export const sessionVerbosity = Invocation.pipe(Effect.map((inv) => Verbosity.session(inv)))

/** Runs a lifecycle program, printing its outcome record on stdout with `--output json`. */
export const runReporting = <E, R>(command: LifecycleVerb, output: "text" | "json", self: Effect.Effect<Result, E, R>) =>
  Effect.flatMap(InstanceDir, (dir) => reporting(command, dir.instance.name, output === "json")(self))
