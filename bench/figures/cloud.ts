/**
 * The cloud guest's figures (issue 12 item 9), measured side by side in one
 * run on the real Debian cloud-init guest (`scripts/test-image.sh --cloud`):
 * boot-to-SSH and boot-to-ready through `rdd limavm create --start` against
 * the same image booted by bare qemu-system-x86_64 with the same flags (one
 * guest at a time, rdd and bare alternating), and the image-cache hit of a
 * second create against the first download. Each boot takes minutes under
 * TCG, so this group is not part of --quick.
 */
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import * as path from "node:path"
import { Effect, Either } from "effect"
import * as Boot from "../cloud/Boot.js"
import * as CacheHit from "../cloud/CacheHit.js"
import * as CloudInstance from "../cloud/Instance.js"
import { type Figure, measured, unavailable } from "../Figure.js"
import { repoRoot } from "../Proc.js"
import { median, pairedRatio } from "../stats.js"
import { lifecycleAvailable } from "./lifecycle.js"

export interface CloudOptions {
  /** boots per side (rdd and bare) */
  readonly runs: number
}

const overhead = { on: "ratio", op: "<=", limit: 1.1 } as const

export const Specs = {
  ssh: { id: "cloud.boot-to-ssh", title: "cloud guest QEMU start → SSH (rdd)", unit: "s", goal: overhead },
  ready: { id: "cloud.boot-to-ready", title: "cloud guest QEMU start → ready (rdd)", unit: "s", goal: overhead },
  download: { id: "cloud.image-download", title: "cloud image create → Created (download)", unit: "s" },
  hit: { id: "cloud.image-cache-hit", title: "second create → Created (cache hit)", unit: "s", goal: { on: "ratio", op: "<=", limit: 0.05 } }
} as const

const template = (): Either.Either<string, string> => {
  // the image may be being built by another process under a flock: this waits for it
  const r = spawnSync("bash", [path.join(repoRoot, "scripts", "test-image.sh"), "--cloud"], { encoding: "utf8", timeout: 40 * 60_000 })
  const out = (r.stdout ?? "").trim()
  return r.status === 0 && out !== "" ? Either.right(out) : Either.left(`scripts/test-image.sh --cloud: exit ${r.status}: ${(r.stderr ?? "").trim().split("\n").slice(-1)[0]}`)
}

const r1 = (x: number) => Math.round(x * 10) / 10

export const cloud = (options: CloudOptions): Effect.Effect<ReadonlyArray<Figure>, Error> =>
  Effect.scoped(Effect.gen(function*() {
    if (spawnSync("qemu-system-x86_64", ["--version"], { stdio: "ignore", timeout: 10_000 }).status !== 0) {
      return Object.values(Specs).map((s) => unavailable(s, "qemu-system-x86_64 is not installed"))
    }
    const available = lifecycleAvailable()
    if (Either.isLeft(available)) return Object.values(Specs).map((s) => unavailable(s, available.left))
    const tpl = template()
    if (Either.isLeft(tpl)) return Object.values(Specs).map((s) => unavailable(s, tpl.left))
    const rdd = yield* CloudInstance.start

    const viaRdd: Array<Boot.BootTimes> = []
    const viaBare: Array<Boot.BootTimes> = []
    for (let i = 0; i < options.runs; i++) {
      // alternate who boots first so a drifting load does not always favour one side
      if (i % 2 === 0) {
        viaRdd.push(yield* Boot.throughRdd(rdd, `boot${i}`, tpl.right))
        viaBare.push(yield* Boot.bare(tpl.right))
      } else {
        viaBare.push(yield* Boot.bare(tpl.right))
        viaRdd.push(yield* Boot.throughRdd(rdd, `boot${i}`, tpl.right))
      }
    }
    const pick = (xs: ReadonlyArray<Boot.BootTimes>, k: "ssh" | "ready") => xs.map((x) => x[k])
    const detail = { rdd: viaRdd, bare: viaBare }
    const note = `${options.runs} first boot(s) per side of ${tpl.right}, one guest at a time; origin = QEMU start (rdd: mtime of qemu.pid; bare: its spawn)`
    const bootFigure = (spec: typeof Specs.ssh | typeof Specs.ready, k: "ssh" | "ready") => {
      const candidate = pick(viaRdd, k)
      const baseline = pick(viaBare, k)
      return measured({
        ...spec,
        value: median(candidate),
        baseline: { name: "bare qemu, same flags", value: median(baseline) },
        ratio: pairedRatio(candidate, baseline),
        note,
        detail: { rddS: candidate.map(r1), bareS: baseline.map(r1), ...(k === "ready" ? detail : {}) }
      })
    }
    const boots = [bootFigure(Specs.ssh, "ssh"), bootFigure(Specs.ready, "ready")]

    const cache = yield* CacheHit.measure(rdd, tpl.right, readFileSync(tpl.right, "utf8")).pipe(Effect.either)
    if (Either.isLeft(cache)) {
      return [...boots, unavailable(Specs.download, cache.left.message, "error"), unavailable(Specs.hit, cache.left.message, "error")]
    }
    const c = cache.right
    const served = `server requests after A ${JSON.stringify(c.requestsAfterA)}, after B ${JSON.stringify(c.requestsAfterB)}`
    return [
      ...boots,
      measured({ ...Specs.download, value: c.downloadS, note: "VM A: create (no --start) → Created=True, the three files fetched from 127.0.0.1", detail: { ...c } }),
      measured({
        ...Specs.hit,
        value: c.hitS,
        baseline: { name: "first download", value: c.downloadS },
        ratio: c.hitS / c.downloadS,
        note: `VM B from the same URLs; ${served}; 'limavm list' + 'ctl wait-condition' on the created VM B take ${r1(c.cliFloorS)} s (the CLI's own share)`,
        detail: { cliFloorS: c.cliFloorS }
      })
    ]
  }))
