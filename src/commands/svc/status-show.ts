/**
 * What `rdd svc status [-o text|json]` does (SPEC 2.5), without @effect/cli: run by
 * svc/status.ts and, for its plain forms, directly by cli.ts (domain/DirectCommand.ts).
 */
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as DeveloperMode from "../../domain/DeveloperMode.js"
import { Invocation } from "../../services/Invocation.js"
import * as Instance from "../../domain/Instance.js"
import { findDaemon } from "../../services/Daemon.js"
import { InstanceDir } from "../../services/InstanceDir.js"

/** A status probe answers at once or says "not ready"; it never waits for the daemon. */
const ProbeBound = Duration.seconds(2)

/** What both forms report on: the instance, whether it is created, its daemon. */
const facts = Effect.gen(function*() {
  const dir = yield* InstanceDir
  const created = yield* dir.isCreated
  const daemon = yield* findDaemon
  const pid = Option.match(daemon, { onNone: () => 0, onSome: (d) => d.pid })
  return { dir, created, daemon, pid }
})

/** `-o text`: the Go tool's three lines (no API client needed). */
export const text = Effect.gen(function*() {
  const { created, daemon, dir, pid } = yield* facts
  const name = Instance.quoted(dir.instance)
  // forced: these lines show at any --log-level, as the Go tool's do (the judgement
  // behind them shows at debug)
  const { developerMode } = yield* Invocation
  yield* Effect.all([
    Effect.logInfo(`${name} control plane has been created: ${created}`),
    Effect.logInfo(`${name} control plane has been started: ${Option.isSome(daemon)}`),
    Effect.logInfo(`${name} control plane PID is: ${pid}`),
    developerMode ? Effect.logInfo(DeveloperMode.EnabledMessage) : Effect.void
  ]).pipe(Logger.withMinimumLogLevel(LogLevel.Info))
})

/** `-o json`: one record, with readiness asked of the API when a daemon runs. */
export const json = Effect.gen(function*() {
  const { created, daemon, dir, pid } = yield* facts
  const record = Option.flatMap(daemon, (d) => d.record)
  const now = yield* Clock.currentTimeMillis
  // Asking the API costs the API client's start-up: only for JSON, only when a daemon runs.
  const ready = yield* Option.match(record, {
    onNone: () => Effect.succeed(false),
    onSome: (r) =>
      Effect.flatMap(
        Effect.promise(() => import("../../services/ReadyNow.js")),
        (ReadyNow) =>
          ReadyNow.isReadyNow(r).pipe(
            Effect.timeoutTo({ duration: ProbeBound, onSuccess: (ok) => ok, onTimeout: () => false })
          )
      )
  })
  yield* Console.log(JSON.stringify({
    instance: dir.instance.name,
    created,
    started: Option.isSome(daemon),
    pid,
    ready,
    apiServer: Option.getOrNull(Option.flatMap(record, (r) => Option.fromNullable(r.port).pipe(Option.map((p) => `https://127.0.0.1:${p}`)))),
    uptimeSeconds: Option.getOrNull(Option.map(record, (r) => Math.max(0, Math.floor((now - Date.parse(r.startedAt)) / 1000))))
  }))
})

export const show = (o: { readonly output: "text" | "json" }) => (o.output === "json" ? json : text)
