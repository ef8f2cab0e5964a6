/**
 * The image cache on a second create: the cloud guest's three files served by
 * a local HTTP server, VM A created from them (first download into the
 * instance's empty RDD_CACHE_DIR), then VM B from the same URLs (a cache hit).
 * Each is timed from calling `limavm create` (no --start: nothing boots) to
 * `ctl wait-condition … Created=True` returning. The server's request counts
 * show whether B really was served from the cache.
 */
import { writeFileSync } from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import * as FileServer from "./FileServer.js"
import { type CloudInstance, runAsync } from "./Instance.js"

export interface CacheTimes {
  readonly downloadS: number
  readonly hitS: number
  readonly requestsAfterA: Readonly<Record<string, number>>
  readonly requestsAfterB: Readonly<Record<string, number>>
  /** `limavm list` + `ctl wait-condition` on a VM already Created: what two CLI calls alone cost */
  readonly cliFloorS: number
}

const Files = ["base.qcow2", "vmlinuz", "initrd.img"] as const

const lastLine = (s: string): string => s.trim().split("\n").slice(-1)[0] ?? ""

/** The cloud template with its three file locations replaced by the server's URLs. */
export const httpTemplate = (text: string, dir: string, url: (p: string) => string): string =>
  Files.reduce((t, f) => t.replaceAll(`"${path.join(dir, f)}"`, `"${url(`/cloud/${f}`)}"`), text)

export const measure = (rdd: CloudInstance, templateFile: string, templateText: string): Effect.Effect<CacheTimes, Error> =>
  Effect.scoped(Effect.gen(function*() {
    const dir = path.dirname(templateFile)
    const server = yield* FileServer.serve(new Map(Files.map((f) => [`/cloud/${f}`, path.join(dir, f)])))
    const tpl = path.join(rdd.home, "cloud-http.yaml")
    const text = httpTemplate(templateText, dir, server.url)
    if (Files.some((f) => !text.includes(server.url(`/cloud/${f}`)))) {
      return yield* Effect.fail(new Error(`cannot rewrite the locations of ${templateFile} to http URLs`))
    }
    writeFileSync(tpl, text)
    const counts = () => Object.fromEntries(server.requests)
    const createdIn = (vm: string) =>
      Effect.gen(function*() {
        rdd.own(vm)
        const t0 = Date.now()
        const c = yield* runAsync(rdd.argv("limavm", "create", vm, tpl), rdd.env, 120_000)
        if (c.code !== 0) return yield* Effect.fail(new Error(`limavm create ${vm}: exit ${c.code}: ${lastLine(c.stderr)}`))
        const w = yield* runAsync(rdd.argv("ctl", "wait-condition", `limavm/${vm}`, "Created=True", "--timeout=10m"), rdd.env, 11 * 60_000)
        if (w.code !== 0) return yield* Effect.fail(new Error(`wait-condition limavm/${vm} Created=True: exit ${w.code}: ${lastLine(w.stderr)}`))
        return (w.endedAt - t0) / 1000
      })
    const downloadS = yield* createdIn("cache-a")
    const requestsAfterA = counts()
    const hitS = yield* createdIn("cache-b")
    const requestsAfterB = counts()
    const t0 = Date.now()
    yield* runAsync(rdd.argv("limavm", "list"), rdd.env, 60_000)
    const floor = yield* runAsync(rdd.argv("ctl", "wait-condition", "limavm/cache-b", "Created=True", "--timeout=1m"), rdd.env, 70_000)
    const cliFloorS = (floor.endedAt - t0) / 1000
    yield* rdd.remove("cache-a")
    yield* rdd.remove("cache-b")
    return { downloadS, hitS, requestsAfterA, requestsAfterB, cliFloorS }
  }))
