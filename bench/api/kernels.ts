/**
 * The measuring loops of the API benchmarks, as plain async functions so that
 * nothing but the request itself sits between two timestamps. Each loop is
 * bounded (a fixed count, per-request timeouts in the client, a per-event
 * delivery bound for watches) and checks every answer: a benchmark that counts
 * errors as fast requests would report nonsense.
 */
import { type Client, type Endpoint, nowMs, openWatch, type Watch } from "./Client.js"

export const configMap = (namespace: string, name: string, padBytes = 200) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace, labels: { "app.kubernetes.io/name": "rdd-bench" } },
  data: { "settings.yaml": "x".repeat(padBytes) }
})

export const cmPath = (namespace: string, name?: string): string =>
  `/api/v1/namespaces/${namespace}/configmaps${name === undefined ? "" : `/${name}`}`

const expect = (what: string, status: number, ok: ReadonlyArray<number>, body: Buffer): void => {
  if (!ok.includes(status)) throw new Error(`${what}: HTTP ${status}: ${body.toString("utf8").slice(0, 200)}`)
}

export interface Timed {
  /** wall time of the whole loop */
  readonly ms: number
  /** per-request latencies */
  readonly latencies: ReadonlyArray<number>
}

/** Creates a namespace; an existing one is fine. */
export const ensureNamespace = async (client: Client, name: string): Promise<void> => {
  const r = await client.request("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name } })
  expect(`create namespace ${name}`, r.status, [201, 200, 409], r.body)
}

/** Sequential requests, one after the other, over the client's single keep-alive socket. */
export const sequential = async (
  count: number,
  send: (i: number) => Promise<{ status: number; body: Buffer }>,
  what: string,
  ok: ReadonlyArray<number>
): Promise<Timed> => {
  const latencies: Array<number> = []
  const t0 = nowMs()
  for (let i = 0; i < count; i++) {
    const s = nowMs()
    const r = await send(i)
    latencies.push(nowMs() - s)
    expect(what, r.status, ok, r.body)
  }
  return { ms: nowMs() - t0, latencies }
}

/** Untimed bulk creation with a few requests in flight, to reach an object count quickly. */
export const populate = async (client: Client, namespace: string, from: number, to: number, inFlight = 8): Promise<void> => {
  let next = from
  const worker = async () => {
    while (next < to) {
      const i = next++
      const r = await client.request("POST", cmPath(namespace), configMap(namespace, `obj-${i}`))
      expect(`populate ${namespace}`, r.status, [201], r.body)
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
}

export interface Delivery {
  /** one latency per (event, watcher): from sending the write to the watcher parsing the event */
  readonly latencies: ReadonlyArray<number>
  /** latency of the write requests themselves */
  readonly writeLatencies: ReadonlyArray<number>
  /** deliveries that did not arrive within the bound */
  readonly lost: number
}

export interface DeliveryOptions {
  /** how long one event may take to reach every watcher before it counts as lost (default 5 s) */
  readonly boundMs?: number
  /** the first object's index (names are w-<first>…), to run the kernel twice in one namespace */
  readonly first?: number
  /**
   * Events sent and awaited before the timed ones, their latencies not kept
   * (default 30). Fresh watchers are cold in both processes: among the first ~25
   * events of a new set of 100, some took up to 20 ms against a bare server's 2 ms
   * steady state (measured 2026-12-06), and with 100 timed events they alone made the p99.
   */
  readonly warm?: number
}

/**
 * Opens `watchers` watches on an empty namespace, then creates ConfigMaps one
 * at a time, `warm` untimed and then `events` timed; each write waits until
 * every watcher saw its ADDED event (or `boundMs` passed) before the next, so
 * the figure is steady-state delivery latency, not queueing behind our own load.
 */
export const watchDelivery = async (
  endpoint: Endpoint,
  client: Client,
  namespace: string,
  watchers: number,
  events: number,
  { boundMs = 5_000, first = 0, warm = 30 }: DeliveryOptions = {}
): Promise<Delivery> => {
  const list = await client.json<{ metadata: { resourceVersion: string } }>("GET", cmPath(namespace))
  const pending = new Map<string, { t0: number; seen: number; timed: boolean; done: () => void }>()
  const latencies: Array<number> = []
  const failures: Array<string> = []
  const watches: Array<Watch> = []
  try {
    for (let w = 0; w < watchers; w++) {
      watches.push(openWatch(
        endpoint,
        `${cmPath(namespace)}?watch=1&resourceVersion=${list.metadata.resourceVersion}`,
        (e, at) => {
          const p = e.type === "ADDED" ? pending.get(e.object.metadata?.name ?? "") : undefined
          if (p === undefined) return
          if (p.timed) latencies.push(at - p.t0)
          if (++p.seen === watchers) p.done()
        },
        (reason) => failures.push(reason)
      ))
    }
    await withTimeout(Promise.all(watches.map((w) => w.opened)), 30_000, `${watchers} watches did not open within 30 s`)
    const writeLatencies: Array<number> = []
    let lost = 0
    for (let i = -warm; i < events; i++) {
      if (failures.length > 0) throw new Error(`a watch ended early: ${failures[0]}`)
      const timed = i >= 0
      const name = timed ? `w-${first + i}` : `w-${first}-warm${-i}`
      let done: () => void = () => undefined
      const all = new Promise<void>((res) => (done = res))
      const entry = { t0: nowMs(), seen: 0, timed, done }
      pending.set(name, entry)
      const r = await client.request("POST", cmPath(namespace), configMap(namespace, name))
      if (timed) writeLatencies.push(nowMs() - entry.t0)
      expect("create for watchers", r.status, [201], r.body)
      const arrived = await Promise.race([all.then(() => true), delay(boundMs).then(() => false)])
      if (!arrived) lost += watchers - entry.seen
      pending.delete(name)
    }
    return { latencies, writeLatencies, lost }
  } finally {
    for (const w of watches) w.close()
  }
}

const delay = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms).unref())

const withTimeout = <A>(p: Promise<A>, ms: number, message: string): Promise<A> =>
  Promise.race([p, delay(ms).then(() => Promise.reject(new Error(message)))])
