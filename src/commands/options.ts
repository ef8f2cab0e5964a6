/**
 * Flag builders shared by every command, so that `--wait`, `--timeout` and
 * `--output` behave the same everywhere (SPEC 1.2, 1.3).
 */
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as GoDuration from "../domain/GoDuration.js"

/** `--timeout=<Go duration>`; `0` = forever; validated even when `--wait=false`. */
export const timeout = (fallback: string, description: string) =>
  Options.text("timeout").pipe(
    Options.withDefault(fallback),
    Options.withPseudoName("duration"),
    Options.withDescription(`${description} (Go duration such as 90s, 5m, 1h30m; 0 waits forever; default ${fallback})`),
    Options.mapEffect((raw): Effect.Effect<Duration.Duration, ValidationError.ValidationError> =>
      Either.match(GoDuration.parse(raw), {
        onLeft: (e) =>
          Effect.fail(ValidationError.invalidValue(HelpDoc.p(
            `invalid value ${JSON.stringify(raw)} for --timeout: ${e.message}; expected a Go duration such as 90s, 5m or 1h30m (0 = no timeout)`
          ))),
        onRight: Effect.succeed
      }))
  )

/** A boolean flag that defaults to true and accepts `--name=false`. */
export const flagDefaultTrue = (name: string, description: string) =>
  Options.boolean(name).pipe(
    Options.withFallbackConfig(Config.succeed(true)),
    Options.withDescription(`${description} (default true; --${name}=false to disable)`)
  )

export const wait = flagDefaultTrue("wait", "Wait until the operation has completed")

/** `-o/--output` restricted to the given formats, with rdd's own error message. */
export const output = <const F extends string>(formats: ReadonlyArray<F>, fallback: F) =>
  Options.text("output").pipe(
    Options.withAlias("o"),
    Options.withPseudoName(formats.join("|")),
    Options.withDefault(fallback),
    Options.withDescription(`Output format: ${formats.join(", ")}`),
    Options.mapEffect((raw): Effect.Effect<F, ValidationError.ValidationError> =>
      (formats as ReadonlyArray<string>).includes(raw)
        ? Effect.succeed(raw as F)
        : Effect.fail(ValidationError.invalidValue(HelpDoc.p(
          `unknown output format ${JSON.stringify(raw)}; valid formats: ${formats.join(", ")}`
        ))))
  )
