/**
 * The instance's Kubernetes context in kubeconfig files, as pure functions on
 * parsed kubeconfigs: the entries made from k3s's own kubeconfig (its one
 * cluster, user and context, renamed `rancher-desktop-<suffix>`, the server
 * pointed at the host port the guest's API is forwarded to), merged into the
 * user's kubeconfig without touching any other entry, and removed again. The
 * user's current-context is changed only when it does not work: unset, naming
 * a context the file lacks, or one whose server does not answer (the caller
 * probes that); removing our context clears current-context only when it
 * named ours. Unknown fields (preferences, extensions) are kept as they are.
 */

export type Kubeconfig = Readonly<Record<string, unknown>>

interface Named {
  readonly name: string
  readonly [k: string]: unknown
}

const Lists = ["clusters", "users", "contexts"] as const
type ListKey = (typeof Lists)[number]

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> => typeof u === "object" && u !== null && !Array.isArray(u)

const listOf = (config: Kubeconfig | undefined, key: ListKey): ReadonlyArray<Named> => {
  const l = config?.[key]
  return Array.isArray(l) ? l.filter((e): e is Named => isRecord(e) && typeof e["name"] === "string") : []
}

/** The list as stored, malformed entries included: they are the user's and stay. */
const rawList = (config: Kubeconfig | undefined, key: ListKey): ReadonlyArray<unknown> => {
  const l = config?.[key]
  return Array.isArray(l) ? l : []
}

const named = (x: unknown, name: string): boolean => isRecord(x) && x["name"] === name

export const currentContext = (config: Kubeconfig | undefined): string => {
  const c = config?.["current-context"]
  return typeof c === "string" ? c : ""
}

export const contextNames = (config: Kubeconfig | undefined): ReadonlyArray<string> => listOf(config, "contexts").map((c) => c.name)

/** The context's cluster server URL (for the caller's "does it work" probe). */
export const serverOf = (config: Kubeconfig | undefined, context: string): string | undefined => {
  const ctx = listOf(config, "contexts").find((c) => c.name === context)?.["context"]
  const clusterName = isRecord(ctx) ? ctx["cluster"] : undefined
  const cluster = listOf(config, "clusters").find((c) => c.name === clusterName)?.["cluster"]
  const server = isRecord(cluster) ? cluster["server"] : undefined
  return typeof server === "string" ? server : undefined
}

/** Our cluster, user and context, one each. */
export interface Entries {
  readonly name: string
  readonly cluster: Readonly<Record<string, unknown>>
  readonly user: Readonly<Record<string, unknown>>
}

/**
 * Our entries from k3s's kubeconfig: the cluster and user of its current context
 * (k3s names all three `default`), the server replaced by `server`. Left: what is
 * missing, for the MergeFailed message.
 */
export const entriesFrom = (k3s: Kubeconfig, name: string, server: string): Entries | { readonly error: string } => {
  const ctxName = currentContext(k3s) || listOf(k3s, "contexts")[0]?.name
  const ctx = listOf(k3s, "contexts").find((c) => c.name === ctxName)?.["context"]
  if (!isRecord(ctx)) return { error: "k3s's kubeconfig has no context" }
  const cluster = listOf(k3s, "clusters").find((c) => c.name === ctx["cluster"])?.["cluster"]
  const user = listOf(k3s, "users").find((u) => u.name === ctx["user"])?.["user"]
  if (!isRecord(cluster)) return { error: `k3s's kubeconfig has no cluster ${JSON.stringify(ctx["cluster"])}` }
  if (!isRecord(user)) return { error: `k3s's kubeconfig has no user ${JSON.stringify(ctx["user"])}` }
  return { name, cluster: { ...cluster, server }, user }
}

const entry = (e: Entries, key: ListKey): Named =>
  key === "clusters"
    ? { name: e.name, cluster: e.cluster }
    : key === "users"
    ? { name: e.name, user: e.user }
    : { name: e.name, context: { cluster: e.name, user: e.name } }

/** Whether the merge should make our context current, given whether the user's current one works. */
export const shouldSetCurrent = (config: Kubeconfig | undefined, name: string, currentWorks: boolean): boolean => {
  const current = currentContext(config)
  return current === "" || current === name || !contextNames(config).includes(current) || !currentWorks
}

/** The user's kubeconfig with our entries in it (replaced in place when present, else appended). */
export const merge = (config: Kubeconfig | undefined, e: Entries, setCurrent: boolean): Kubeconfig => {
  const out: Record<string, unknown> = { apiVersion: "v1", kind: "Config", ...(config ?? {}) }
  for (const key of Lists) {
    const list = rawList(config, key)
    const ours = entry(e, key)
    out[key] = list.some((x) => named(x, e.name)) ? list.map((x) => (named(x, e.name) ? ours : x)) : [...list, ours]
  }
  out["current-context"] = setCurrent ? e.name : currentContext(config)
  return out
}

/** The user's kubeconfig without our entries; current-context cleared only when it named ours. */
export const remove = (config: Kubeconfig, name: string): Kubeconfig => {
  const out: Record<string, unknown> = { ...config }
  for (const key of Lists) {
    if (Array.isArray(config[key])) out[key] = rawList(config, key).filter((x) => !named(x, name))
  }
  if (currentContext(config) === name) out["current-context"] = ""
  return out
}

export const has = (config: Kubeconfig | undefined, name: string): boolean =>
  Lists.some((key) => listOf(config, key).some((x) => x.name === name))

/** `~/.rd<suffix>/kube.config`: only our context, current (what `rdd run` points KUBECONFIG at). */
export const standalone = (e: Entries): Kubeconfig => merge(undefined, e, true)
