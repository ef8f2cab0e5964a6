/**
 * Figure 4, cost as work grows (not in --quick): on a fresh daemon, the API
 * figures at growing object counts (creates/s, gets/s, LIST time and size,
 * RSS, store size) and watch delivery at growing watcher counts, plus fitted
 * growth exponents (cost ∝ size^k). Expected: LIST linear in the objects, GET
 * and create flat; delivery grows with the watchers, since every event is
 * written to every watch.
 */
import { Effect, Either } from "effect"
import { makeClient, nowMs } from "../api/Client.js"
import { dbSize, serveAvailable, settledRss, startDaemon } from "../api/Daemon.js"
import { cmPath, configMap, ensureNamespace, populate, sequential, watchDelivery } from "../api/kernels.js"
import { alignColumns } from "../Figure.js"
import type { GrowthFit, ObjectsPoint, Scaling, WatchersPoint } from "../Report.js"
import { tempHome, uniqueSuffix } from "../Proc.js"
import { classifyGrowth, growthExponent, median, perSecond, round, slope, summarize } from "../stats.js"

export interface ScalingOptions {
  readonly sizes: ReadonlyArray<number>
  readonly watchers: ReadonlyArray<number>
  readonly timedCreates: number
  readonly gets: number
  readonly listRounds: number
  readonly watchEvents: number
}

const run = <A>(f: () => Promise<A>) => Effect.tryPromise({ try: f, catch: (e) => (e instanceof Error ? e : new Error(String(e))) })

const fit = (points: ReadonlyArray<readonly [number, number]>): GrowthFit => {
  const k = growthExponent(points)
  return { exponent: round(k), growth: classifyGrowth(k) }
}

export const scaling = (options: ScalingOptions): Effect.Effect<Scaling, Error> =>
  Effect.scoped(Effect.gen(function*() {
    const available = serveAvailable()
    if (Either.isLeft(available)) return yield* Effect.fail(new Error(available.left))
    const home = yield* tempHome("rdd-bench-scale-")
    const daemon = yield* startDaemon({ home, suffix: uniqueSuffix("scale") })
    const c = daemon.client
    const idleRss = yield* settledRss(daemon, 3)
    const bulk = yield* Effect.acquireRelease(Effect.sync(() => makeClient(daemon.endpoint, { sockets: 8 })), (b) => Effect.sync(() => b.close()))
    yield* run(() => ensureNamespace(c, "scale"))
    yield* run(() => ensureNamespace(c, "scale-warm-up"))
    // Warm-up as in the API group (JIT, socket, SQLite cache), so the first size is not a cold start.
    yield* run(() => sequential(300, (i) => c.request("POST", cmPath("scale-warm-up"), configMap("scale-warm-up", `warm-${i}`)), "warm-up create", [201]))
    yield* run(() => sequential(300, (i) => c.request("GET", cmPath("scale-warm-up", `warm-${i}`)), "warm-up get", [200]))
    yield* run(() => sequential(300, (i) => c.request("DELETE", cmPath("scale-warm-up", `warm-${i}`)), "warm-up delete", [200, 202]))
    const objects: Array<ObjectsPoint> = []
    let have = 0
    for (const size of [...options.sizes].sort((a, b) => a - b)) {
      const timed = Math.min(options.timedCreates, size - have)
      yield* run(() => populate(bulk, "scale", have, size - timed))
      const from = size - timed
      const creates = yield* run(() => sequential(timed, (i) => c.request("POST", cmPath("scale"), configMap("scale", `obj-${from + i}`)), "create", [201]))
      have = size
      const gets = yield* run(() => sequential(options.gets, (i) => c.request("GET", cmPath("scale", `obj-${(i * 7919) % size}`)), "get", [200]))
      const lists: Array<number> = []
      let bytes = 0
      for (let r = 0; r < options.listRounds; r++) {
        const t0 = nowMs()
        const res = yield* run(() => c.request("GET", cmPath("scale")))
        lists.push(nowMs() - t0)
        if (res.status !== 200) return yield* Effect.fail(new Error(`LIST: HTTP ${res.status}`))
        if (bytes === 0) {
          const n = (JSON.parse(res.body.toString("utf8")) as { items: ReadonlyArray<unknown> }).items.length
          if (n !== size) return yield* Effect.fail(new Error(`LIST returned ${n} items, expected ${size}`))
          bytes = res.body.length
        }
      }
      objects.push({
        objects: size,
        createsPerSec: round(perSecond(timed, creates.ms)),
        getsPerSec: round(perSecond(options.gets, gets.ms)),
        listMs: round(median(lists)),
        listMB: round(bytes / 2 ** 20),
        rssMB: round(yield* settledRss(daemon, 3)),
        dbMB: round(dbSize(daemon))
      })
      process.stderr.write(`bench:   ${JSON.stringify(objects[objects.length - 1])}\n`)
    }
    const watchers: Array<WatchersPoint> = []
    for (const w of [...options.watchers].sort((a, b) => a - b)) {
      const ns = `scale-watch-${w}`
      yield* run(() => ensureNamespace(c, ns))
      const d = yield* run(() => watchDelivery(daemon.endpoint, c, ns, w, options.watchEvents))
      if (d.lost > 0) return yield* Effect.fail(new Error(`${d.lost} deliveries to ${w} watchers did not arrive within 5 s`))
      const s = summarize(d.latencies)
      watchers.push({ watchers: w, p50Ms: round(s.p50), p99Ms: round(s.p99), maxMs: round(s.max), rssMB: round(yield* settledRss(daemon, 3)) })
      process.stderr.write(`bench:   ${JSON.stringify(watchers[watchers.length - 1])}\n`)
    }
    return {
      objects,
      watchers,
      growth: {
        "LIST time vs objects": fit(objects.map((p) => [p.objects, p.listMs])),
        "GET time vs objects": fit(objects.map((p) => [p.objects, 1 / p.getsPerSec])),
        "create time vs objects": fit(objects.map((p) => [p.objects, 1 / p.createsPerSec])),
        // above the idle daemon: the fixed base would hide how the per-object part grows
        "RSS above idle vs objects": fit(objects.map((p) => [p.objects, p.rssMB - idleRss])),
        "watch p50 vs watchers": fit(watchers.map((p) => [p.watchers, p.p50Ms])),
        "watch p99 vs watchers": fit(watchers.map((p) => [p.watchers, p.p99Ms]))
      },
      rssMBPer10kObjects: round(slope(objects.map((p) => [p.objects, p.rssMB])) * 10_000),
      idleRssMB: round(idleRss)
    }
  }))

/** A few lines for stderr: the points and how each cost grows. */
export const scalingTable = (s: Scaling): string => [
  alignColumns(
    ["objects", "creates/s", "gets/s", "LIST ms", "LIST MB", "RSS MB", "store MB"],
    s.objects.map((p) => [p.objects, p.createsPerSec, p.getsPerSec, p.listMs, p.listMB, p.rssMB, p.dbMB].map(String))
  ),
  "",
  alignColumns(
    ["watchers", "p50 ms", "p99 ms", "max ms", "RSS MB"],
    s.watchers.map((p) => [p.watchers, p.p50Ms, p.p99Ms, p.maxMs, p.rssMB].map(String))
  ),
  "",
  ...Object.entries(s.growth).map(([k, g]) => `${k}: ${g.growth} (exponent ${g.exponent})`),
  `RSS: ${s.rssMBPer10kObjects} MB per 10,000 objects (idle ${s.idleRssMB} MB)`
].join("\n")
