/**
 * Same-run before/after of an API change (issue 15 item 4): two builds of the
 * daemon and the floor server side by side, measured in interleaved rounds, so
 * that the machine's load (shared, 2 cores) hits both builds alike. Reports per
 * build creates/s, gets/s and CPU µs per request (/proc/<pid>/stat), each as a
 * fraction of the floor, then watch delivery p50/p99 with 100 watchers
 * (A, B, floor, floor, B, A; the floor's watch: floor-server.ts).
 *
 *   npx tsx bench/api/compare.ts <A/rdd.mjs> <B/rdd.mjs> [rounds=5] [batch=1000] [watchEvents=100]
 *
 * A build to compare against is a copy of bin/ (the shim and its builds/<id>)
 * kept inside the repository (bench/results/, git-ignored) so that the external
 * better-sqlite3 still resolves from node_modules.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, Either } from "effect"
import * as path from "node:path"
import { type BareServer, findServingTls, startFloorServer } from "./BareServer.js"
import type { Client, Endpoint } from "./Client.js"
import { type Daemon, startDaemon } from "./Daemon.js"
import { cmPath, configMap, ensureNamespace, sequential, watchDelivery } from "./kernels.js"
import { storeSynchronous } from "./sqliteBaseline.js"
import { cpuMs, tempHome, uniqueSuffix } from "../Proc.js"
import { median, perSecond, quantile } from "../stats.js"

interface Side {
  readonly label: string
  readonly pid: number
  readonly client: Client
  creates: Array<number>
  gets: Array<number>
  cpuCreates: number
  cpuGets: number
  watchP50: Array<number>
  watchP99: Array<number>
}

const run = <A>(f: () => Promise<A>) => Effect.promise(f)

const side = (label: string, pid: number, client: Client): Side => ({ label, pid, client, creates: [], gets: [], cpuCreates: 0, cpuGets: 0, watchP50: [], watchP99: [] })

const warm = (c: Client, namespaces: boolean) =>
  Effect.gen(function*() {
    if (namespaces) for (const ns of ["bench", "warm"]) yield* run(() => ensureNamespace(c, ns))
    yield* run(() => sequential(1_000, (i) => c.request("POST", cmPath("warm"), configMap("warm", `warm-${i}`)), "warm-up create", [201]))
    yield* run(() => sequential(1_000, (i) => c.request("GET", cmPath("warm", `warm-${i}`)), "warm-up get", [200]))
  })

const program = (binA: string, binB: string, rounds: number, batch: number, watchEvents: number) =>
  Effect.scoped(Effect.gen(function*() {
    const home = yield* tempHome("rdd-bench-compare-")
    const a: Daemon = yield* startDaemon({ home, suffix: uniqueSuffix("cmpa"), bin: path.resolve(binA) })
    const b: Daemon = yield* startDaemon({ home, suffix: uniqueSuffix("cmpb"), bin: path.resolve(binB) })
    const tls = findServingTls(a.paths.tls_dir)
    if (Either.isLeft(tls)) throw new Error(tls.left)
    const floor: BareServer = yield* startFloorServer(a.endpoint, tls.right, `${home}/floor.sqlite3`, storeSynchronous())
    const sides = [side("A", a.pid, a.client), side("B", b.pid, b.client), side("floor", floor.pid, floor.client)]
    for (const s of sides) yield* warm(s.client, s !== sides[2])
    let created = 0
    for (let round = 0; round < rounds; round++) {
      // rotate the order so no side always runs first
      const order = sides.map((_, i) => sides[(i + round) % sides.length]!)
      const first = created
      for (const s of order) {
        const c0 = cpuMs(s.pid)
        const t = yield* run(() => sequential(batch, (i) => s.client.request("POST", cmPath("bench"), configMap("bench", `cm-${first + i}`)), `${s.label} create`, [201]))
        s.cpuCreates += cpuMs(s.pid) - c0
        s.creates.push(perSecond(batch, t.ms))
      }
      created += batch
      for (const s of order) {
        const c0 = cpuMs(s.pid)
        const t = yield* run(() => sequential(batch, (i) => s.client.request("GET", cmPath("bench", `cm-${(first + i * 7919) % (first + batch)}`)), `${s.label} get`, [200]))
        s.cpuGets += cpuMs(s.pid) - c0
        s.gets.push(perSecond(batch, t.ms))
      }
    }
    type Watched = readonly [Side, { readonly endpoint: Endpoint; readonly client: Client }, boolean]
    const watched: ReadonlyArray<Watched> = [[sides[0]!, a, true], [sides[1]!, b, true], [sides[2]!, floor, false]]
    for (const [s, d, namespaces] of [watched[0]!, watched[1]!, watched[2]!, watched[2]!, watched[1]!, watched[0]!]) {
      const ns = `w-${s.watchP99.length}`
      if (namespaces) yield* run(() => ensureNamespace(d.client, ns))
      const r = yield* run(() => watchDelivery(d.endpoint, d.client, ns, 100, watchEvents))
      s.watchP50.push(quantile(r.latencies, 0.5))
      s.watchP99.push(quantile(r.latencies, 0.99))
    }
    const n = rounds * batch
    const fl = sides[2]!
    const ratio = (xs: ReadonlyArray<number>, ys: ReadonlyArray<number>) => median(xs.map((x, i) => x / ys[i]!))
    const f = (x: number, d = 0) => x.toFixed(d)
    const lines = [
      `rounds ${rounds} × ${batch}, watch 100 watchers × ${watchEvents} events ×2 per build`,
      "| side | creates/s | ÷ floor | CPU µs/create | gets/s | ÷ floor | CPU µs/get | watch p50 ms | watch p99 ms |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    ]
    for (const s of sides) {
      lines.push(`| ${s.label} | ${f(median(s.creates))} | ${f(ratio(s.creates, fl.creates), 2)} | ${f((s.cpuCreates * 1000) / n)} | ${f(median(s.gets))} | ${
        f(ratio(s.gets, fl.gets), 2)
      } | ${f((s.cpuGets * 1000) / n)} | ${s.watchP50.map((x) => f(x, 1)).join(", ")} | ${s.watchP99.map((x) => f(x, 1)).join(", ")} |`)
    }
    process.stdout.write(`${lines.join("\n")}\n`)
  }))

const [binA, binB, rounds = "5", batch = "1000", watchEvents = "100"] = process.argv.slice(2)
if (binA === undefined || binB === undefined) throw new Error("usage: compare.ts <A/rdd.mjs> <B/rdd.mjs> [rounds] [batch] [watchEvents]")
NodeRuntime.runMain(program(binA, binB, Number(rounds), Number(batch), Number(watchEvents)))
