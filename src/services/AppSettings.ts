/**
 * The programs behind `rdd set`, `rdd start` and `rdd stop`: check the
 * arguments against the installed App CRD, create or merge-patch the singleton
 * App, and wait (through a watch, under the command's one deadline) until the
 * App controller reports `Settled=True` for the generation that was written.
 * `--dry-run` never changes anything: both the create and the patch are
 * server-side dry runs. The control plane must already be running (the command
 * runs autostart first); everything here talks to it through KubeClient only.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import * as App from "../domain/App.js"
import * as AppCrd from "../domain/app/Crd.js"
import * as Properties from "../domain/app/Properties.js"
import * as Deadline from "../domain/Deadline.js"
import { Failure, Rejected, UsageError, type WaitTimeout } from "../domain/Errors.js"
import { type Condition, Core, type KubeObject } from "../domain/KubeObject.js"
import * as LimaVm from "../domain/LimaVm.js"
import { KubeClient, type KubeError } from "./KubeClient.js"
import { type Progress, withProgress } from "./Progress.js"
import * as AppTemplate from "./AppTemplate.js"
import { waitFor } from "./Wait.js"

export interface SetOptions {
  readonly dryRun: boolean
  readonly wait: boolean
  /** this command's RDD_APP_TEMPLATE (AppTemplate.fromEnv): saved on an App it creates, reported if it differs */
  readonly appTemplate?: Option.Option<string>
}

/**
 * What the program reports; shaped like Outcome.Result for `--output json`.
 * `set` speaks of the change (updated, or updating with --wait=false); `start`
 * and `stop`, which are `set running=...`, of the state (see `asVerb`).
 */
export interface SetResult {
  readonly outcome: "updated" | "updating" | "noop" | "ready" | "starting" | "stopped" | "stopping"
  readonly message: string
}

/** `set running=true|false`'s outcome in the words of `rdd start`/`rdd stop` (Outcome.Vocabulary). */
export const asVerb = (verb: "start" | "stop") => (r: SetResult): SetResult => {
  if (r.outcome === "updated") return { ...r, outcome: verb === "start" ? "ready" : "stopped" }
  if (r.outcome === "updating") return { ...r, outcome: verb === "start" ? "starting" : "stopping" }
  return r
}

export type SetError = UsageError | Rejected | WaitTimeout | Failure

const crdMissing = "app CRD is not installed; make sure the control plane is running with the app controller enabled"

/** Malformed `PROPERTY=VALUE` arguments are usage errors (exit 2), found before the API is contacted. */
export const parseArgs = (args: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<Properties.Assignment>, UsageError> =>
  Either.match(Properties.parseArgs(args), {
    onLeft: (message) => Effect.fail(new UsageError({ message })),
    onRight: Effect.succeed
  })

/** Rejections keep their exit code 3; anything else the API says is a failure (exit 1). */
const classify = (what: string) => (e: KubeError): Rejected | Failure =>
  e._tag === "Rejected"
    ? new Rejected({ ...e, message: `${what}: ${e.message}` })
    : new Failure({ message: `${what}: ${e.message}`, cause: e })

/** Every API round trip draws on the command's deadline too, so a frozen daemon ends in exit 4. */
const bounded = <A, E, R>(what: string, deadline: Deadline.Deadline, self: Effect.Effect<A, E, R>) =>
  waitFor(what, deadline, self)

/** The settable part of the installed CRD's spec schema. */
export const settableSchema = (deadline: Deadline.Deadline) =>
  Effect.gen(function*() {
    const kube = yield* KubeClient
    const crd = yield* bounded(
      "the App CRD",
      deadline,
      kube.get({ type: Core.crds, name: App.CrdName }).pipe(Effect.mapError(classify("failed to read the App CRD")))
    )
    const spec = Option.map(crd, (c) => Properties.specSchemaOfCrd(c))
    if (Option.isNone(spec) || spec.value === undefined) return yield* new Failure({ message: crdMissing })
    return Properties.settableSchema(spec.value)
  })

/** The "Available properties:" table for `rdd set --help`, from the control plane's CRD. */
export const helpTable = (deadline: Deadline.Deadline, width?: number) =>
  Effect.map(settableSchema(deadline), (schema) => Properties.helpTable(schema, width))

/** The same table from the App CRD this build installs (what its daemon would serve). */
export const builtInHelpTable = (width?: number): string =>
  Properties.helpTable(Properties.settableSchema(Properties.specSchemaOfCrd(AppCrd.crd)), width)

export const getApp = (deadline: Deadline.Deadline) =>
  Effect.flatMap(KubeClient, (kube) =>
    bounded("the App", deadline, kube.get(App.SingletonRef).pipe(Effect.mapError(classify("failed to read App")))))

const patchApp = (spec: Properties.SpecFragment, options: SetOptions, deadline: Deadline.Deadline) =>
  Effect.gen(function*() {
    const kube = yield* KubeClient
    const app = yield* bounded(
      "the App to be updated",
      deadline,
      kube.patch(App.SingletonRef, { spec }, "merge", { dryRun: options.dryRun }).pipe(
        Effect.mapError(classify("failed to update App"))
      )
    )
    yield* Effect.logInfo(options.dryRun ? "App validated (dry run)" : "App updated")
    return app
  })

/**
 * Writes the settings: merge patch when the App exists, else a create with the
 * required fields filled (the server applies the CRD defaults). Both honour
 * `dryRun` on the server, so a dry run leaves no App behind. Returns the
 * written object (its generation is what the wait needs).
 */
export const write = (
  schema: Properties.SchemaNode,
  spec: Properties.SpecFragment,
  options: SetOptions,
  deadline: Deadline.Deadline
): Effect.Effect<KubeObject, Rejected | Failure | WaitTimeout, KubeClient> =>
  Effect.gen(function*() {
    const kube = yield* KubeClient
    const requested = options.appTemplate ?? Option.none()
    const existing = yield* getApp(deadline)
    if (Option.isSome(existing)) {
      yield* AppTemplate.reportMismatch(existing.value, requested)
      return yield* patchApp(spec, options, deadline)
    }
    const object: KubeObject = {
      apiVersion: App.ApiVersion,
      kind: App.Kind,
      metadata: { name: App.SingletonName, annotations: AppTemplate.annotationsFor(requested) },
      spec: Properties.withRequired(schema, spec)
    }
    const created = yield* bounded("the App to be created", deadline, kube.create(App.AppType, object, { dryRun: options.dryRun })).pipe(
      Effect.map(Option.some),
      // Someone else created it in between: patch theirs instead.
      Effect.catchTag("AlreadyExists", () => Effect.succeed(Option.none<KubeObject>())),
      Effect.mapError((e) => (e._tag === "WaitTimeout" ? e : classify("failed to create App")(e)))
    )
    if (Option.isNone(created)) return yield* patchApp(spec, options, deadline)
    yield* Effect.logInfo(options.dryRun ? "App validated (dry run)" : "App created")
    if (!options.dryRun) yield* Effect.logInfo(`the App's VM template is ${AppTemplate.describe(requested)} (saved on the App)`)
    return created.value
  })

const conditionKey = (c: Condition): string => `${c.status}\u0000${c.reason ?? ""}\u0000${c.message ?? ""}`

/** Reasons with which the VM can be seen never to get there without a change by the user. */
const isFailure = (c: Condition): boolean => c.status === "False" && (c.reason ?? "").endsWith("Failed")

/**
 * Waits until `Settled=True` with observedGeneration >= `generation`. Logs each
 * change of a current condition (`Running=False: ... (Starting)`), fails at once
 * when the App is deleted or Settled reports a failure, and fails with
 * WaitTimeout (exit 4) at the deadline in every phase.
 */
export const awaitSettled = (
  generation: number,
  deadline: Deadline.Deadline,
  options: {
    /** a failed Settled that leaves nothing running is the goal reached (a stop), not a failure */
    readonly acceptWhenNothingRuns?: boolean
  } = {}
): Effect.Effect<KubeObject, Failure | WaitTimeout, KubeClient | Progress> =>
  Effect.gen(function*() {
    const kube = yield* KubeClient
    const seen = yield* Ref.make(new Map<string, string>())
    // what Settled=False says right now (reason: message), for the progress line
    const stuckOn = yield* Ref.make("")
    yield* Effect.logInfo("Waiting for App to settle")
    const step = (app: KubeObject): Effect.Effect<Option.Option<KubeObject>, Failure, KubeClient> =>
      Effect.gen(function*() {
        const current = App.conditionsOf(app).filter((c) => (c.observedGeneration ?? 0) >= generation)
        for (const c of current) {
          const key = conditionKey(c)
          const before = (yield* Ref.get(seen)).get(c.type)
          if (before !== key) {
            yield* Ref.update(seen, (m) => new Map(m).set(c.type, key))
            yield* Effect.logInfo(`${c.type}=${c.status}: ${c.message ?? ""} (${c.reason ?? ""})`)
          }
        }
        const settled = App.findCondition(current, App.ConditionType.Settled)
        yield* Ref.set(stuckOn, settled === undefined || settled.status === "True" ? "" : `${settled.reason ?? ""}: ${settled.message ?? ""}`)
        if (settled?.status === "True") return Option.some(app)
        if (settled !== undefined && isFailure(settled) && options.acceptWhenNothingRuns === true && (yield* vmNeverCreated(app))) {
          return Option.some(app)
        }
        if (settled !== undefined && isFailure(settled)) {
          return yield* new Failure({ message: `App cannot settle: ${settled.message ?? settled.reason ?? ""} (${settled.reason ?? ""})` })
        }
        return Option.none()
      })
    const watch = kube.watch(App.AppType, { fieldSelector: `metadata.name=${App.SingletonName}` }).pipe(
      Stream.mapError((e) => new Failure({ message: `failed to watch App: ${e.message}`, cause: e })),
      Stream.mapEffect((event) =>
        event.type === "BOOKMARK"
          ? Effect.succeed(Option.none<KubeObject>())
          : event.type === "DELETED"
          ? Effect.fail(new Failure({ message: "App was deleted while waiting for it to settle" }))
          : step(event.object)
      ),
      Stream.filterMap((o) => o),
      Stream.runHead
    )
    const found = yield* waitFor(`App to settle (generation ${generation})`, deadline, watch, {
      leftBehind: "the App controller keeps applying the change in the background"
    }).pipe(withProgress("App to settle", deadline, Ref.get(stuckOn)))
    if (Option.isNone(found)) return yield* new Failure({ message: "failed to watch App: the watch ended" })
    return found.value
  })

/** `rdd set` after autostart: check, write, wait. */
export const set = (
  assignments: ReadonlyArray<Properties.Assignment>,
  options: SetOptions,
  deadline: Deadline.Deadline
): Effect.Effect<SetResult, SetError, KubeClient | Progress> =>
  Effect.gen(function*() {
    const schema = yield* settableSchema(deadline)
    const spec = yield* Either.match(Properties.toSpec(schema, assignments), {
      // The value is the server's to judge, and the server's schema says no: a rejection (exit 3).
      onLeft: (message) => Effect.fail(new Rejected({ message })),
      onRight: Effect.succeed
    })
    const written = yield* write(schema, spec, options, deadline)
    if (options.dryRun) return { outcome: "noop", message: "App validated (dry run)" } as const
    if (!options.wait) {
      return { outcome: "updating", message: `App written (generation ${App.generationOf(written)}); not waiting for it to settle` } as const
    }
    yield* awaitSettled(App.generationOf(written), deadline)
    yield* Effect.logInfo("App has settled")
    return { outcome: "updated", message: "App has settled" } as const
  })

/**
 * The App's VM was never created (no LimaVM, or one whose Created=False says
 * CreateFailed): nothing runs, whatever Settled says.
 */
const vmNeverCreated = (app: KubeObject): Effect.Effect<boolean, never, KubeClient> =>
  Effect.gen(function*() {
    const kube = yield* KubeClient
    const vm = yield* kube.get(LimaVm.refOf(App.specOf(app).namespace, App.VmName)).pipe(
      // the LimaVM type itself is unknown when the limavm controller is off: no VM either
      Effect.map(Option.map(LimaVm.fromObject)),
      Effect.catchTag("NotFound", () => Effect.succeed(Option.none<LimaVm.LimaVm>())),
      Effect.orElseSucceed(() => Option.some<LimaVm.LimaVm | undefined>(undefined))
    )
    if (Option.isNone(vm)) return true
    if (vm.value === undefined) return false // could not look: not proven
    const created = LimaVm.condition(vm.value, LimaVm.ConditionTypes.Created)
    return created?.status === "False" && created.reason === LimaVm.Reasons.CreateFailed
  })

/** `rdd stop`: never creates a missing App; an App whose VM never got created is already stopped. */
export const stop = (options: Omit<SetOptions, "dryRun">, deadline: Deadline.Deadline) =>
  Effect.gen(function*() {
    const existing = yield* getApp(deadline)
    if (Option.isNone(existing)) {
      yield* Effect.logInfo("App does not exist; nothing to stop")
      return { outcome: "noop", message: "App does not exist; nothing to stop" } as const satisfies SetResult
    }
    const schema = yield* settableSchema(deadline)
    const spec = yield* Either.match(Properties.toSpec(schema, [{ path: "running", raw: "false" }]), {
      onLeft: (message) => Effect.fail(new Rejected({ message })),
      onRight: Effect.succeed
    })
    const written = yield* write(schema, spec, { ...options, dryRun: false }, deadline)
    if (!options.wait) {
      return { outcome: "stopping", message: `App written (generation ${App.generationOf(written)}); not waiting for it to settle` } as const satisfies SetResult
    }
    const app = yield* awaitSettled(App.generationOf(written), deadline, { acceptWhenNothingRuns: true })
    const settled = App.findCondition(App.conditionsOf(app), App.ConditionType.Settled)
    if (settled?.status === "True") {
      yield* Effect.logInfo("App has settled")
      return { outcome: "stopped", message: "App has settled" } as const satisfies SetResult
    }
    const message = `App is stopped: its VM was never created (${settled?.reason ?? ""}: ${settled?.message ?? ""})`
    yield* Effect.logInfo(message)
    return { outcome: "stopped", message } as const satisfies SetResult
  })

/** `rdd start`: `set running=true`, creating the App when missing. */
export const start = (options: Omit<SetOptions, "dryRun">, deadline: Deadline.Deadline) =>
  Effect.map(set([{ path: "running", raw: "true" }], { ...options, dryRun: false }, deadline), asVerb("start"))
