/**
 * The `--controllers` grammar (SPEC 2.1): comma-separated tokens, `*` selects all,
 * a controller name or API group (full or short) selects it, a leading `-`
 * excludes. Result = (any include) AND NOT (any exclude), order-independent.
 * Builtin controllers are always on and never listed.
 */
import * as Either from "effect/Either"

export interface ControllerInfo {
  readonly name: string
  /** full API group it serves, e.g. lima.rancherdesktop.io */
  readonly group: string
  /** short group name as the Go tool accepted it, e.g. lima */
  readonly shortGroup: string
}

/** Selectable controllers; the builtin ones (namespace, garbage collector, discovery, config, shutdown) always run. */
export const Selectable: ReadonlyArray<ControllerInfo> = [
  { name: "limavm", group: "lima.rancherdesktop.io", shortGroup: "lima" },
  { name: "app", group: "app.rancherdesktop.io", shortGroup: "app" },
  // no API group of its own (it writes the App's ContainerEngineReady): selected by name or `*`
  { name: "engine", group: "engine.rancherdesktop.io", shortGroup: "engine" },
  // likewise (it writes the App's KubernetesReady and the instance's kube context)
  { name: "kubernetes", group: "kubernetes.rancherdesktop.io", shortGroup: "kubernetes" },
  // the Go tool's sample controllers (group `rdd`), the examples to copy
  { name: "configmapreplicaset", group: "rdd.rancherdesktop.io", shortGroup: "rdd" },
  { name: "notary", group: "rdd.rancherdesktop.io", shortGroup: "rdd" }
]

export const Builtin: ReadonlyArray<string> = ["namespace", "garbagecollector", "discovery", "config", "shutdown"]

export const DefaultSpec = "*"

const knownToken = (t: string): boolean =>
  t === "*" || Selectable.some((c) => c.name === t || c.group === t || c.shortGroup === t) || Builtin.includes(t) ||
  t === "builtin"

const matches = (c: ControllerInfo, token: string): boolean =>
  token === "*" || token === c.name || token === c.group || token === c.shortGroup

/** Parses and validates a spec; unknown names are a usage error (the Go tool ignored them silently). */
export const parse = (spec: string): Either.Either<ReadonlyArray<string>, string> => {
  const tokens = spec.split(",").map((t) => t.trim()).filter((t) => t !== "")
  for (const t of tokens) {
    const bare = t.startsWith("-") ? t.slice(1) : t
    if (!knownToken(bare)) {
      return Either.left(
        `unknown controller ${JSON.stringify(bare)} in --controllers; valid: *, ${Selectable.map((c) => c.name).join(", ")} (or their API groups), each optionally prefixed with -`
      )
    }
  }
  const includes = tokens.filter((t) => !t.startsWith("-"))
  const excludes = tokens.filter((t) => t.startsWith("-")).map((t) => t.slice(1))
  return Either.right(
    Selectable.filter((c) => includes.some((t) => matches(c, t)) && !excludes.some((t) => matches(c, t))).map((c) => c.name)
  )
}

/** Two specs select the same controllers (used to detect "start asks for something different"). */
export const sameSelection = (a: string, b: string): boolean => {
  const pa = parse(a)
  const pb = parse(b)
  return Either.isRight(pa) && Either.isRight(pb) && pa.right.join(",") === pb.right.join(",")
}
