/**
 * Figure 3, the API against a real daemon (SPEC 6): ConfigMap creates/s and
 * gets/s from one keep-alive client, each against its baseline measured in the
 * same rounds (raw better-sqlite3 writes on the same disk; a bare node:https
 * server answering a fixed body), p99 watch delivery latency with 100
 * watchers, LIST of 10,000 ConfigMaps (against the same number of bytes from
 * the bare server), daemon start-to-ready, idle RSS and RSS growth over
 * create/delete cycles. Rounds alternate which side goes first.
 *
 * Issue 15 item 4 adds the API's physical floor, measured in the same rounds:
 * floor-server.ts does bare node:https + JSON.parse + one SQLite insert per
 * create and one primary-key select per get, with the daemon's TLS material and
 * store settings; creates and gets are reported as a fraction of it, and the
 * watch p99 once more against the tighter goal.
 */
import { Effect, Either } from "effect"
import { type Figure, measured, unavailable } from "../Figure.js"
import { type BareServer, findServingTls, startBareServer, startFloorServer } from "../api/BareServer.js"
import { type Client, makeClient, nowMs } from "../api/Client.js"
import { type Daemon, dbSize, mb, serveAvailable, settledRss, startDaemon } from "../api/Daemon.js"
import { cmPath, configMap, ensureNamespace, populate, sequential, watchDelivery } from "../api/kernels.js"
import { openSqliteBaseline, storeSynchronous } from "../api/sqliteBaseline.js"
import { cpuMs, tempHome, uniqueSuffix } from "../Proc.js"
import { median, pairedRatio, perSecond, round, slope, summarize } from "../stats.js"

export interface ApiOptions {
  readonly rounds: number
  /** requests per round for creates and gets */
  readonly batch: number
  readonly watchers: number
  readonly watchEvents: number
  readonly listObjects: number
  readonly listRounds: number
  readonly churnCycles: number
}

export const Specs = {
  startToReady: { id: "daemon.start-to-ready", title: "svc serve → ready", unit: "ms" },
  creates: { id: "api.creates", title: "ConfigMap creates/s", unit: "/s", goal: { on: "value", op: ">=", limit: 2000 } },
  gets: { id: "api.gets", title: "ConfigMap gets/s", unit: "/s", goal: { on: "value", op: ">=", limit: 5000 } },
  watch: { id: "api.watch-p99", title: "watch delivery p99 (100 watchers)", unit: "ms", goal: { on: "value", op: "<=", limit: 10 } },
  // issue 15 item 4: against the floor (ratio = daemon ÷ floor, paired per round), and the tighter watch goal
  createsFloor: { id: "api.creates-floor", title: "ConfigMap creates/s ÷ floor", unit: "/s", goal: { on: "ratio", op: ">=", limit: 0.5 } },
  getsFloor: { id: "api.gets-floor", title: "ConfigMap gets/s ÷ floor", unit: "/s", goal: { on: "ratio", op: ">=", limit: 0.7 } },
  watchTight: { id: "api.watch-p99-3ms", title: "watch delivery p99 (100 watchers), issue 15", unit: "ms", goal: { on: "value", op: "<=", limit: 3 } },
  // what bounds the one above from below: the floor server's own fan-out, no client in it
  floorFanOut: { id: "api.watch-floor-fanout-p99", title: "watch floor: server fan-out p99 (100 watchers)", unit: "ms" },
  list: { id: "api.list-10k", title: "LIST 10,000 ConfigMaps", unit: "ms", goal: { on: "value", op: "<=", limit: 300 } },
  idleRss: { id: "daemon.idle-rss", title: "daemon idle RSS", unit: "MB", goal: { on: "value", op: "<=", limit: 120 } },
  growth: { id: "daemon.rss-growth", title: "RSS growth over create/delete", unit: "MB", goal: { on: "value", op: "<=", limit: 10 } }
} as const


const run = <A>(f: () => Promise<A>) => Effect.tryPromise({ try: f, catch: (e) => (e instanceof Error ? e : new Error(String(e))) })

interface ThroughputResult {
  readonly creates: ReadonlyArray<number>
  readonly sqlite: ReadonlyArray<number>
  readonly bareCreates: ReadonlyArray<number>
  readonly gets: ReadonlyArray<number>
  readonly bareGets: ReadonlyArray<number>
  readonly floorCreates: ReadonlyArray<number>
  readonly floorGets: ReadonlyArray<number>
  /** CPU ms used by each server over all its timed loops: [daemon, floor] per kind */
  readonly cpu: { creates: [number, number]; gets: [number, number] }
  readonly createLatencies: Array<number>
  readonly getLatencies: Array<number>
  readonly synchronous: string
}

/** Creates and gets against their baselines, interleaved per round. */
const throughput = (daemon: Daemon, bare: Client | undefined, floor: BareServer | undefined, options: ApiOptions) =>
  Effect.gen(function*() {
    const sqlite = openSqliteBaseline(daemon.home)
    yield* Effect.addFinalizer(() => Effect.sync(() => sqlite.close()))
    const body = JSON.stringify(configMap("bench", "cm-00000000"))
    const c = daemon.client
    const r: ThroughputResult = { creates: [], sqlite: [], bareCreates: [], gets: [], bareGets: [], floorCreates: [], floorGets: [], cpu: { creates: [0, 0], gets: [0, 0] }, createLatencies: [], getLatencies: [], synchronous: sqlite.synchronous }
    const push = (xs: ReadonlyArray<number>, x: number) => (xs as Array<number>).push(x)
    let created = 0
    /** runs a timed loop and adds the CPU time `pid` used meanwhile to `into[side]` */
    const cpu = <A, E>(pid: number, into: [number, number], side: 0 | 1, loop: Effect.Effect<A, E>) =>
      Effect.gen(function*() {
        const before = cpuMs(pid)
        const a = yield* loop
        into[side] += cpuMs(pid) - before
        return a
      })
    for (let round = 0; round < options.rounds; round++) {
      const first = created
      const daemonCreates = () =>
        cpu(daemon.pid, r.cpu.creates, 0, run(() => sequential(options.batch, (i) => c.request("POST", cmPath("bench"), configMap("bench", `cm-${first + i}`)), "create", [201])))
          .pipe(Effect.tap((t) => Effect.sync(() => {
            push(r.creates, perSecond(options.batch, t.ms))
            r.createLatencies.push(...t.latencies)
          })))
      const baselineCreates = () =>
        Effect.gen(function*() {
          push(r.sqlite, perSecond(options.batch, sqlite.insert(options.batch, body)))
          if (bare !== undefined) {
            const t = yield* run(() => sequential(options.batch, () => bare.request("POST", "/fixed", body), "bare POST", [201]))
            push(r.bareCreates, perSecond(options.batch, t.ms))
          }
          // the same requests as the daemon's (names included), so both sides send the same bytes
          if (floor !== undefined) {
            const t = yield* cpu(floor.pid, r.cpu.creates, 1, run(() => sequential(options.batch, (i) => floor.client.request("POST", cmPath("bench"), configMap("bench", `cm-${first + i}`)), "floor create", [201])))
            push(r.floorCreates, perSecond(options.batch, t.ms))
          }
        })
      const daemonGets = () =>
        cpu(daemon.pid, r.cpu.gets, 0, run(() => sequential(options.batch, (i) => c.request("GET", cmPath("bench", `cm-${(first + i * 7919) % (first + options.batch)}`)), "get", [200])))
          .pipe(Effect.tap((t) => Effect.sync(() => {
            push(r.gets, perSecond(options.batch, t.ms))
            r.getLatencies.push(...t.latencies)
          })))
      const baselineGets = () =>
        Effect.gen(function*() {
          if (bare !== undefined) {
            const t = yield* run(() => sequential(options.batch, () => bare.request("GET", "/fixed"), "bare GET", [200]))
            push(r.bareGets, perSecond(options.batch, t.ms))
          }
          if (floor !== undefined) {
            const t = yield* cpu(floor.pid, r.cpu.gets, 1, run(() =>
              sequential(options.batch, (i) => floor.client.request("GET", cmPath("bench", `cm-${(first + i * 7919) % (first + options.batch)}`)), "floor get", [200])
            ))
            push(r.floorGets, perSecond(options.batch, t.ms))
          }
        })
      if (round % 2 === 0) {
        yield* daemonCreates()
        yield* baselineCreates()
        created += options.batch
        yield* daemonGets()
        yield* baselineGets()
      } else {
        yield* baselineCreates()
        yield* daemonCreates()
        created += options.batch
        yield* baselineGets()
        yield* daemonGets()
      }
    }
    return r
  })

export const api = (options: ApiOptions): Effect.Effect<ReadonlyArray<Figure>, Error> =>
  Effect.scoped(Effect.gen(function*() {
    const available = serveAvailable()
    if (Either.isLeft(available)) return Object.values(Specs).map((s) => unavailable(s, available.left))
    const home = yield* tempHome("rdd-bench-api-")
    const daemon = yield* startDaemon({ home, suffix: uniqueSuffix("api") })
    const figures: Array<Figure> = [measured({ ...Specs.startToReady, value: daemon.startToReadyMs, note: "spawn to ready per SPEC 2.8, one sample, cold (first start generates TLS and the store)" })]
    yield* Effect.sleep("1 second")
    const idle = yield* settledRss(daemon)
    figures.push(measured({ ...Specs.idleRss, value: idle, note: "VmRSS after ready, before any load (median of 5 samples)" }))

    const c = daemon.client
    for (const ns of ["bench", "bench-watch", "bench-list", "bench-churn"]) yield* run(() => ensureNamespace(c, ns))
    // Warm-up: JIT, the socket, SQLite's page cache; not measured. The goals are steady-state
    // rates: V8 optimises the request path only after some thousand calls, and with 100
    // warm-up requests the --quick rounds (300 requests) mostly timed unoptimised code.
    const Warm = 1_000
    yield* run(() => sequential(Warm, (i) => c.request("POST", cmPath("bench-churn"), configMap("bench-churn", `warm-${i}`)), "warm-up create", [201]))
    yield* run(() => sequential(Warm, (i) => c.request("GET", cmPath("bench-churn", `warm-${i}`)), "warm-up get", [200]))
    const sample = yield* run(() => c.request("GET", cmPath("bench-churn", "warm-0")))
    yield* run(() => sequential(Warm, (i) => c.request("DELETE", cmPath("bench-churn", `warm-${i}`)), "warm-up delete", [200, 202]))

    const tls = findServingTls(daemon.paths.tls_dir)
    const bare = Either.isRight(tls)
      ? yield* startBareServer(daemon.endpoint, tls.right, sample.body.length).pipe(Effect.map((b) => b.client))
      : undefined
    if (bare !== undefined) {
      // The same warm-up for the baseline: its first requests run cold code too.
      yield* run(() => sequential(300, () => bare.request("GET", "/fixed"), "bare warm-up", [200]))
      yield* run(() => sequential(300, () => bare.request("POST", "/fixed", sample.body), "bare warm-up", [201]))
    }
    const bareNote = Either.isLeft(tls) ? ` (bare https baseline unavailable: ${tls.left})` : ""
    const synchronous = storeSynchronous()
    const floor = Either.isRight(tls)
      ? yield* startFloorServer(daemon.endpoint, tls.right, `${home}/floor.sqlite3`, synchronous)
      : undefined
    if (floor !== undefined) {
      // the daemon's warm-up, on the floor: the same count of creates and gets
      yield* run(() => sequential(Warm, (i) => floor.client.request("POST", cmPath("bench-churn"), configMap("bench-churn", `warm-${i}`)), "floor warm-up create", [201]))
      yield* run(() => sequential(Warm, (i) => floor.client.request("GET", cmPath("bench-churn", `warm-${i}`)), "floor warm-up get", [200]))
    }

    // Creates and gets.
    const t = yield* throughput(daemon, bare, floor, options)
    figures.push(measured({
      ...Specs.creates,
      value: median(t.creates),
      baseline: { name: `raw SQLite writes, synchronous=${t.synchronous}`, value: median(t.sqlite) },
      ratio: pairedRatio(t.creates, t.sqlite),
      samples: summarize(t.creates),
      note: `${options.rounds} rounds × ${options.batch} sequential creates, one keep-alive socket${bareNote}`,
      detail: {
        latencyMs: summarize(t.createLatencies),
        bareHttpsPostsPerSec: t.bareCreates.length === 0 ? null : median(t.bareCreates),
        ratioToBareHttps: t.bareCreates.length === 0 ? null : pairedRatio(t.creates, t.bareCreates)
      }
    }))
    figures.push(measured({
      ...Specs.gets,
      value: median(t.gets),
      ...(t.bareGets.length === 0 ? {} : { baseline: { name: "bare https", value: median(t.bareGets) }, ratio: pairedRatio(t.gets, t.bareGets) }),
      samples: summarize(t.gets),
      note: `${options.rounds} rounds × ${options.batch} sequential gets, one keep-alive socket${bareNote}`,
      detail: { latencyMs: summarize(t.getLatencies), responseBytes: sample.body.length }
    }))
    const floorNote = `floor: bare node:https + JSON.parse + one SQLite statement per request (WAL, synchronous=${synchronous}), same TLS and client; ratio = median of per-round daemon ÷ floor`
    if (floor === undefined) {
      const why = `floor server unavailable: ${Either.isLeft(tls) ? tls.left : "no TLS material"}`
      figures.push(unavailable(Specs.createsFloor, why), unavailable(Specs.getsFloor, why))
    } else {
      figures.push(measured({
        ...Specs.createsFloor,
        value: median(t.creates),
        baseline: { name: "floor: https + insert", value: median(t.floorCreates) },
        ratio: pairedRatio(t.creates, t.floorCreates),
        samples: summarize(t.floorCreates),
        note: `${options.rounds} rounds × ${options.batch} creates; ${floorNote}`,
        detail: cpuDetail(t.cpu.creates, options.rounds * options.batch)
      }))
      figures.push(measured({
        ...Specs.getsFloor,
        value: median(t.gets),
        baseline: { name: "floor: https + select", value: median(t.floorGets) },
        ratio: pairedRatio(t.gets, t.floorGets),
        samples: summarize(t.floorGets),
        note: `${options.rounds} rounds × ${options.batch} gets; ${floorNote}`,
        detail: cpuDetail(t.cpu.gets, options.rounds * options.batch)
      }))
    }

    const w = yield* watchFigure(daemon, floor, options)
    figures.push(w.figure)
    // the same measurement against issue 15's goal, next to the watch floor's p99 (same kernel, same rounds)
    figures.push(
      w.figure.value === null
        ? unavailable(Specs.watchTight, w.figure.note ?? "not measured", w.figure.verdict === "error" ? "error" : "n/a")
        : measured({
          ...Specs.watchTight,
          value: w.figure.value,
          ...(w.floorP99 === undefined ? {} : { baseline: { name: "watch floor: https + insert + one write per watcher", value: w.floorP99 }, ratio: w.figure.value / w.floorP99 }),
          note: `the api.watch-p99 measurement, judged against issue 15's goal; ratio = daemon p99 ÷ the floor server's p99 (${
            w.floorP99 === undefined ? "floor unavailable" : "floor-server.ts watch, the same kernel in the same run: floor, daemon, daemon, floor halves"
          })`
        })
    )
    figures.push(
      w.floorFanOut === undefined
        ? unavailable(Specs.floorFanOut, floor === undefined ? "floor unavailable" : "the floor recorded no fan-out")
        : measured({
          ...Specs.floorFanOut,
          value: w.floorFanOut.p99,
          samples: w.floorFanOut,
          note: `the floor server alone, in the watch halves above: from the first of ${options.watchers} watchers' writes to the last one's TLS record written to its socket (node:http uncorks in a nextTick). No client is in it: every delivery latency above contains the fan-out up to its watcher, plus the request before it and the client's reading of its socket after`
        })
    )
    figures.push(yield* listFigure(daemon, bare, options))
    figures.push(yield* churnFigure(daemon, options))
    return figures
  }))

/**
 * Server CPU per request, daemon and floor (/proc/<pid>/stat, 10 ms ticks over
 * all rounds): on a loaded machine wall-time rates swing with the neighbours,
 * CPU per request much less, so floor ÷ daemon CPU is the steadier fraction.
 */
const cpuDetail = ([daemonMs, floorMs]: [number, number], requests: number) => ({
  daemonCpuUsPerRequest: round((daemonMs * 1000) / requests),
  floorCpuUsPerRequest: round((floorMs * 1000) / requests),
  floorShareOfDaemonCpu: daemonMs > 0 ? round(floorMs / daemonMs) : null
})

/**
 * p99 delivery latency with `options.watchers` watches open (kernels.watchDelivery),
 * and the same kernel against the floor server's watch: in halves ordered
 * floor, daemon, daemon, floor (each half opens its own watchers), so that the
 * machine's load hits both alike.
 */
const watchFigure = (daemon: Daemon, floor: BareServer | undefined, options: ApiOptions) =>
  Effect.gen(function*() {
    const half = Math.ceil(options.watchEvents / 2)
    const onDaemon = (first: number) => run(() => watchDelivery(daemon.endpoint, daemon.client, "bench-watch", options.watchers, half, { first }))
    const onFloor = (first: number) =>
      floor === undefined ? Effect.succeed(undefined) : run(() => watchDelivery(floor.endpoint, floor.client, "bench-watch", options.watchers, half, { first }))
    // the floor's fan-outs before its first half are not this kernel's
    const fanOuts = floor === undefined ? Effect.succeed([]) : run(() => floorFanOuts(floor.client))
    yield* fanOuts
    const f1 = yield* onFloor(0)
    const d1 = yield* onDaemon(0)
    const d2 = yield* onDaemon(half)
    const f2 = yield* onFloor(half)
    // the timed events' fan-outs (not the warm-up ones) with all the watchers open
    const fanOutMs = (yield* fanOuts).filter((f) => /^w-\d+$/.test(f.name) && f.watchers === options.watchers).map((f) => f.ms)
    const lost = d1.lost + d2.lost
    const delivery = summarize([...d1.latencies, ...d2.latencies])
    const floorDelivery = f1 === undefined || f2 === undefined || f1.lost + f2.lost > 0 ? undefined : summarize([...f1.latencies, ...f2.latencies])
    const figure = lost > 0
      ? unavailable(Specs.watch, `${lost} of ${options.watchers * half * 2} deliveries did not arrive within 5 s`, "error")
      : measured({
        ...Specs.watch,
        value: delivery.p99,
        samples: delivery,
        note: `${options.watchers} watchers × ${half * 2} creates (two halves of ${half}, each with its own watchers), one at a time after 30 untimed ones per half (fresh watchers are cold); from sending the write to the watcher parsing the event`,
        detail: {
          deliveryMs: delivery,
          writeLatencyMs: summarize([...d1.writeLatencies, ...d2.writeLatencies]),
          floorDeliveryMs: floorDelivery ?? null,
          floorWriteLatencyMs: f1 === undefined || f2 === undefined ? null : summarize([...f1.writeLatencies, ...f2.writeLatencies]),
          watchers: options.watchers,
          events: half * 2
        }
      })
    return { figure, floorP99: floorDelivery?.p99, floorFanOut: fanOutMs.length === 0 ? undefined : summarize(fanOutMs) }
  })

const floorFanOuts = (client: Client) =>
  client.json<{ fanOuts: ReadonlyArray<{ name: string; watchers: number; ms: number }> }>("GET", "/fanouts").then((r) => r.fanOuts)

/**
 * One full LIST of `options.listObjects` ConfigMaps, alternating with the bare
 * server answering the same number of bytes; the first LIST is checked for
 * the full item count.
 */
const listFigure = (daemon: Daemon, bare: Client | undefined, options: ApiOptions) =>
  Effect.gen(function*() {
    const c = daemon.client
    const bulk = yield* Effect.acquireRelease(
      Effect.sync(() => makeClient(daemon.endpoint, { sockets: 8 })),
      (b) => Effect.sync(() => b.close())
    )
    const tPop = nowMs()
    yield* run(() => populate(bulk, "bench-list", 0, options.listObjects))
    const populateMs = nowMs() - tPop
    const listMs: Array<number> = []
    const bareListMs: Array<number> = []
    let listBytes = 0
    const daemonList = run(async () => {
      const s = nowMs()
      const r = await c.request("GET", cmPath("bench-list"))
      const ms = nowMs() - s
      if (r.status !== 200) throw new Error(`LIST: HTTP ${r.status}`)
      if (listBytes === 0) {
        const n = (JSON.parse(r.body.toString("utf8")) as { items: ReadonlyArray<unknown> }).items.length
        if (n !== options.listObjects) throw new Error(`LIST returned ${n} items, expected ${options.listObjects}`)
      }
      listBytes = r.body.length
      listMs.push(ms)
    })
    // reads listBytes when it runs, i.e. after the daemon's first LIST
    const bareList = bare === undefined ? Effect.void : run(async () => {
      const s = nowMs()
      const r = await bare.request("GET", `/bytes/${listBytes}`)
      bareListMs.push(nowMs() - s)
      if (r.body.length !== listBytes) throw new Error("bare server answered a different size")
    })
    for (let round = 0; round < options.listRounds; round++) {
      if (round % 2 === 0) {
        yield* daemonList
        yield* bareList
      } else {
        yield* bareList
        yield* daemonList
      }
    }
    return measured({
      ...Specs.list,
      value: median(listMs),
      ...(bareListMs.length === 0 ? {} : { baseline: { name: "same bytes, bare https", value: median(bareListMs) }, ratio: pairedRatio(listMs, bareListMs) }),
      samples: summarize(listMs),
      note: `full LIST (no limit) to the last byte, ${options.listRounds} rounds`,
      detail: { objects: options.listObjects, bytes: listBytes, populatePerSec: perSecond(options.listObjects, populateMs), rssAfterMB: mb(daemon.rss()) }
    })
  })

/** RSS over create/delete cycles: a tenth as warm-up, then a sample every tenth. */
const churnFigure = (daemon: Daemon, options: ApiOptions) =>
  Effect.gen(function*() {
    const c = daemon.client
    const cycle = (from: number, count: number) =>
      run(async () => {
        for (let i = from; i < from + count; i++) {
          const name = `churn-${i}`
          const a = await c.request("POST", cmPath("bench-churn"), configMap("bench-churn", name))
          if (a.status !== 201) throw new Error(`churn create: HTTP ${a.status}`)
          const b = await c.request("DELETE", cmPath("bench-churn", name))
          if (b.status !== 200 && b.status !== 202) throw new Error(`churn delete: HTTP ${b.status}`)
        }
      })
    const step = Math.max(1, Math.floor(options.churnCycles / 10))
    yield* cycle(0, step)
    const rss: Array<readonly [number, number]> = [[0, mb(daemon.rss())]]
    for (let done = 0; done < options.churnCycles; done += step) {
      yield* cycle(step + done, step)
      rss.push([done + step, mb(daemon.rss())])
    }
    const ys = rss.map(([, y]) => y)
    return measured({
      ...Specs.growth,
      value: median(ys.slice(-3)) - median(ys.slice(0, 3)),
      note: `${options.churnCycles} create/delete cycles after ${step} warm-up cycles; median of the last 3 RSS samples minus the first 3`,
      detail: { rssMB: rss, slopeMBPer1kCycles: slope(rss) * 1000, dbMB: dbSize(daemon) }
    })
  })
