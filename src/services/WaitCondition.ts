/**
 * `rdd ctl wait-condition TYPE[.GROUP]/NAME COND[=STATUS] [--reason R]
 * [--since TIME|startup] [--timeout=30s] [-n NS]` (SPEC 5, reference cli-surface
 * 3.6): waits, by watch, until the named object carries condition COND with
 * STATUS (default True), the reason if given, and a transition at or after
 * --since (second precision, so a transition in the same second counts:
 * reference defect 172). Deadline -> exit 4 (the Go tool exited 1); bad
 * arguments -> exit 2 with the Go tool's texts; deletion while waiting -> exit 1.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type * as Deadline from "../domain/Deadline.js"
import { Failure, UsageError, type WaitTimeout } from "../domain/Errors.js"
import * as GoDuration from "../domain/GoDuration.js"
import { Core, type KubeObject, type ResourceType } from "../domain/KubeObject.js"
import { KubeClient, type KubeError } from "./KubeClient.js"
import { type Progress, withProgress } from "./Progress.js"
import { waitFor } from "./Wait.js"

export const DefaultTimeout = "30s"

export interface Request {
  readonly resource: string
  readonly group?: string
  readonly name: string
  readonly condition: string
  readonly status: string
  readonly reason?: string
  /** RFC 3339, or "startup" */
  readonly since?: string
  readonly timeout: Duration.Duration
  readonly namespace: string
}

const usage = (message: string) => Either.left(new UsageError({ message }))

/** Parses the raw arguments (flags may appear anywhere, as with Go's flag set). */
export const parseArgs = (args: ReadonlyArray<string>): Either.Either<Request, UsageError> => {
  const positional: Array<string> = []
  const flags: Record<string, string> = {}
  const names: Record<string, string> = { "--reason": "reason", "--since": "since", "--timeout": "timeout", "--namespace": "namespace", "-n": "namespace" }
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    const eq = a.indexOf("=")
    const key = a.startsWith("-") ? (eq > 0 ? a.slice(0, eq) : a) : undefined
    if (key === undefined || a === "-") {
      positional.push(a)
      continue
    }
    const flag = names[key]
    if (flag === undefined) return usage(`unknown flag: ${key}`)
    if (eq > 0) flags[flag] = a.slice(eq + 1)
    else {
      const v = args[i + 1]
      if (v === undefined) return usage(`flag needs an argument: ${key}`)
      flags[flag] = v
      i++
    }
  }
  if (positional.length !== 2) {
    return usage(`expected TYPE/NAME and CONDITION[=STATUS] arguments, got ${positional.length} arguments`)
  }
  const [target, cond] = positional as [string, string]
  const slash = target.indexOf("/")
  if (slash < 0) return usage(`expected TYPE/NAME, got ${JSON.stringify(target)}`)
  const type = target.slice(0, slash)
  const name = target.slice(slash + 1)
  if (type === "" || name === "") return usage(`both TYPE and NAME must be non-empty in ${JSON.stringify(target)}`)
  const ceq = cond.indexOf("=")
  const condition = ceq < 0 ? cond : cond.slice(0, ceq)
  const status = ceq < 0 ? "True" : cond.slice(ceq + 1)
  if (condition === "") return usage(`condition type must not be empty in ${JSON.stringify(cond)}`)
  const since = flags["since"]
  if (since !== undefined && since !== "startup" && Number.isNaN(Date.parse(since))) {
    return usage(`invalid --since timestamp ${JSON.stringify(since)}: expected an RFC 3339 time such as 2026-11-26T08:00:00Z, or "startup"`)
  }
  const timeoutText = flags["timeout"] ?? DefaultTimeout
  const timeout = GoDuration.parse(timeoutText)
  if (Either.isLeft(timeout)) {
    return usage(`invalid value ${JSON.stringify(timeoutText)} for --timeout: ${timeout.left.message}; expected a Go duration such as 30s or 5m (0 = no timeout)`)
  }
  const dot = type.indexOf(".")
  return Either.right({
    resource: (dot < 0 ? type : type.slice(0, dot)).toLowerCase(),
    ...(dot < 0 ? {} : { group: type.slice(dot + 1) }),
    name,
    condition,
    status,
    ...(flags["reason"] === undefined ? {} : { reason: flags["reason"] }),
    ...(since === undefined ? {} : { since }),
    timeout: timeout.right,
    namespace: flags["namespace"] ?? "default"
  })
}

const builtin: ReadonlyArray<{ readonly type: ResourceType; readonly names: ReadonlyArray<string> }> = [
  { type: Core.configmaps, names: ["configmaps", "configmap", "cm"] },
  { type: Core.namespaces, names: ["namespaces", "namespace", "ns"] },
  { type: Core.secrets, names: ["secrets", "secret"] },
  { type: Core.serviceaccounts, names: ["serviceaccounts", "serviceaccount", "sa"] },
  { type: Core.events, names: ["events", "event", "ev"] }
]

const str = (u: unknown): string => (typeof u === "string" ? u : "")
const rec = (u: unknown): Record<string, unknown> => (typeof u === "object" && u !== null ? (u as Record<string, unknown>) : {})

/** TYPE[.GROUP] through the served CRDs (plural, singular, kind, short names) and the core kinds. */
export const resolve = (resource: string, group: string | undefined) =>
  Effect.gen(function*() {
    const kube = yield* KubeClient
    if (group === undefined || group === "" || group === "core") {
      const core = builtin.find((b) => b.names.includes(resource))
      if (core !== undefined) return core.type
    }
    const crds = (yield* kube.list(Core.crds)).items
    for (const crd of crds) {
      const spec = rec(crd["spec"])
      const names = rec(spec["names"])
      const crdGroup = str(spec["group"])
      if (group !== undefined && crdGroup !== group && !crdGroup.startsWith(`${group}.`)) continue
      const known = [str(names["plural"]), str(names["singular"]), str(names["kind"]).toLowerCase(), ...(Array.isArray(names["shortNames"]) ? names["shortNames"].map(str) : [])]
      if (!known.includes(resource)) continue
      const versions = Array.isArray(spec["versions"]) ? spec["versions"].map(rec) : []
      const version = versions.find((v) => v["storage"] === true) ?? versions[0]
      return { group: crdGroup, version: str(version?.["name"]), resource: str(names["plural"]), namespaced: spec["scope"] !== "Cluster" } satisfies ResourceType
    }
    return yield* new Failure({ message: `the server doesn't have a resource type ${JSON.stringify(group === undefined ? resource : `${resource}.${group}`)}` })
  })

/** The instant `--since` stands for, in epoch milliseconds truncated to seconds. */
const sinceMillis = (since: string) =>
  Effect.gen(function*() {
    if (since !== "startup") return Math.floor(Date.parse(since) / 1000) * 1000
    const kube = yield* KubeClient
    const cm = yield* kube.get({ type: Core.configmaps, namespace: "rdd-system", name: "rdd-controller-manager" })
    const ts = Option.flatMap(cm, (o) => Option.fromNullable(o.metadata.creationTimestamp))
    if (Option.isNone(ts)) return yield* new Failure({ message: `cannot resolve --since=startup: ConfigMap rdd-system/rdd-controller-manager not found` })
    return Math.floor(Date.parse(ts.value) / 1000) * 1000
  })

/** Does the object satisfy the request? (first condition of the type, as the Go tool) */
export const satisfied = (object: KubeObject, r: Request, since: number | undefined): boolean => {
  const conditions = rec(object["status"])["conditions"]
  if (!Array.isArray(conditions)) return false
  const c = conditions.map(rec).find((x) => x["type"] === r.condition)
  if (c === undefined || c["status"] !== r.status) return false
  if (r.reason !== undefined && c["reason"] !== r.reason) return false
  if (since !== undefined) {
    const t = Date.parse(str(c["lastTransitionTime"]))
    if (Number.isNaN(t) || Math.floor(t / 1000) * 1000 < since) return false
  }
  return true
}

export const run = (r: Request, deadline: Deadline.Deadline): Effect.Effect<void, Failure | WaitTimeout | KubeError, KubeClient | Progress> =>
  Effect.gen(function*() {
    const kube = yield* KubeClient
    const type = yield* resolve(r.resource, r.group)
    const since = r.since === undefined ? undefined : yield* sinceMillis(r.since)
    const namespace = type.namespaced ? r.namespace : undefined
    const ref = { type, name: r.name, ...(namespace === undefined ? {} : { namespace }) }
    const what = `condition ${r.condition}=${r.status}${r.reason === undefined ? "" : ` (reason ${r.reason})`} on ${type.resource}/${r.name}`
    type Step = "done" | "wait" | "deleted"
    const judge = (o: Option.Option<KubeObject>): Step => Option.isNone(o) ? "wait" : satisfied(o.value, r, since) ? "done" : "wait"
    const events = kube.watch(type, { ...(namespace === undefined ? {} : { namespace }), fieldSelector: `metadata.name=${r.name}` }).pipe(
      Stream.map((e): Step => (e.type === "BOOKMARK" ? "wait" : e.type === "DELETED" ? "deleted" : judge(Option.some(e.object))))
    )
    const steps = Stream.concat(Stream.fromEffect(Effect.map(kube.get(ref), judge)), events).pipe(
      Stream.filter((s) => s !== "wait"),
      Stream.runHead
    )
    const body = Effect.flatMap(steps, (s) =>
      Option.isSome(s) && s.value === "done"
        ? Effect.void
        : Effect.fail(new Failure({ message: "resource was deleted while waiting" })))
    yield* waitFor(what, deadline, withProgress(what, deadline)(body))
  })
