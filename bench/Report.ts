/**
 * The shape of the JSON report (bench/results/latest.json). `schema` is bumped
 * when a field changes meaning, so CI scripts and the plot can rely on it.
 * Figures carry their own verdicts; `misses` lists the ids that missed a goal.
 */
import type { Figure } from "./Figure.js"
import type { Growth } from "./stats.js"

/** One object count of the cost-as-work-grows section. */
export interface ObjectsPoint {
  readonly objects: number
  readonly createsPerSec: number
  readonly getsPerSec: number
  readonly listMs: number
  readonly listMB: number
  readonly rssMB: number
  readonly dbMB: number
}

/** One watcher count of the cost-as-work-grows section. */
export interface WatchersPoint {
  readonly watchers: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
  readonly rssMB: number
}

export interface GrowthFit {
  /** k in cost ∝ size^k (log-log slope) */
  readonly exponent: number
  readonly growth: Growth
}

export interface Scaling {
  readonly objects: ReadonlyArray<ObjectsPoint>
  readonly watchers: ReadonlyArray<WatchersPoint>
  readonly growth: Readonly<Record<string, GrowthFit>>
  /** least-squares RSS slope over the object counts */
  readonly rssMBPer10kObjects: number
  /** RSS of the scaling daemon once ready, before any object was created */
  readonly idleRssMB: number
}

export interface Report {
  readonly schema: "rdd-bench/1"
  readonly mode: "quick" | "full"
  readonly startedAt: string
  readonly finishedAt: string
  readonly seconds: number
  readonly commit: string
  readonly machine: {
    readonly node: string
    readonly platform: string
    readonly cpus: number
    readonly cpuModel: string
    readonly memTotalMB: number
    /** 1, 5 and 15 minute load averages when the run started and ended: a loaded machine explains noisy figures */
    readonly loadavg: ReadonlyArray<number>
    readonly loadavgAtEnd: ReadonlyArray<number>
  }
  readonly figures: ReadonlyArray<Figure>
  readonly scaling: Scaling | null
  /** why `scaling` is null: skipped (--quick, --only) or the error that stopped it */
  readonly scalingNote: string | null
  readonly misses: ReadonlyArray<string>
  /** file name of the SVG plot, next to the report */
  readonly plot: string
}
