/**
 * The report's unit: one figure of SPEC 6 (or of the cost-as-work-grows
 * section) with its absolute value, the baseline measured side by side in the
 * same run, the ratio between them, the goal and a pass/miss verdict. Pure: the
 * measuring code produces figures, run.ts collects them into the JSON report
 * and this module renders the stderr table. A figure that could not be
 * measured is "n/a" or "error" with the reason; it never carries a made-up value.
 */
import { round, type Summary } from "./stats.js"

export type Verdict = "pass" | "miss" | "n/a" | "error" | "info"

export interface Goal {
  /** what the goal constrains: the absolute value or the ratio to the baseline */
  readonly on: "value" | "ratio"
  readonly op: "<=" | ">="
  readonly limit: number
}

export interface Baseline {
  readonly name: string
  readonly value: number
}

export interface Figure {
  readonly id: string
  readonly title: string
  readonly unit: string
  /** the candidate's median (or the figure's single measurement); null when not measured */
  readonly value: number | null
  readonly baseline?: Baseline
  /** candidate ÷ baseline, the median of per-round ratios where rounds are paired */
  readonly ratio?: number | null
  readonly goal?: Goal
  readonly verdict: Verdict
  /** why a figure is n/a or errored, or a short remark on how it was measured */
  readonly note?: string
  readonly samples?: Summary
  readonly detail?: Readonly<Record<string, unknown>>
}

const finite = (x: number | null | undefined): x is number => x !== null && x !== undefined && Number.isFinite(x)

export const meets = (goal: Goal, x: number): boolean => (goal.op === "<=" ? x <= goal.limit : x >= goal.limit)

export interface MeasuredInput {
  readonly id: string
  readonly title: string
  readonly unit: string
  readonly value: number
  readonly baseline?: Baseline
  readonly ratio?: number
  readonly goal?: Goal
  readonly note?: string
  readonly samples?: Summary
  readonly detail?: Readonly<Record<string, unknown>>
}

/** A measured figure; the verdict follows from the goal (none: "info"). */
export const measured = (input: MeasuredInput): Figure => {
  const value = finite(input.value) ? round(input.value) : null
  const ratio = input.ratio === undefined ? undefined : finite(input.ratio) ? round(input.ratio) : null
  const judged = input.goal === undefined ? undefined : input.goal.on === "value" ? input.value : input.ratio
  const verdict: Verdict = input.goal === undefined
    ? "info"
    : finite(judged)
    ? meets(input.goal, judged) ? "pass" : "miss"
    : "error"
  return {
    id: input.id,
    title: input.title,
    unit: input.unit,
    value,
    ...(input.baseline === undefined ? {} : { baseline: { name: input.baseline.name, value: round(input.baseline.value) } }),
    ...(ratio === undefined ? {} : { ratio }),
    ...(input.goal === undefined ? {} : { goal: input.goal }),
    verdict,
    ...(input.note === undefined ? {} : { note: input.note }),
    ...(input.samples === undefined ? {} : { samples: roundSummary(input.samples) }),
    ...(input.detail === undefined ? {} : { detail: input.detail })
  }
}

const roundSummary = (s: Summary): Summary => ({
  n: s.n,
  min: round(s.min),
  p10: round(s.p10),
  p50: round(s.p50),
  p90: round(s.p90),
  p99: round(s.p99),
  max: round(s.max),
  mean: round(s.mean)
})

/** A figure that could not be measured in this run, with the reason. */
export const unavailable = (
  spec: { readonly id: string; readonly title: string; readonly unit: string; readonly goal?: Goal },
  reason: string,
  verdict: "n/a" | "error" = "n/a"
): Figure => ({
  id: spec.id,
  title: spec.title,
  unit: spec.unit,
  value: null,
  ...(spec.goal === undefined ? {} : { goal: spec.goal }),
  verdict,
  note: reason
})

export const formatGoal = (goal: Goal | undefined, unit: string): string => {
  if (goal === undefined) return ""
  const op = goal.op === "<=" ? "≤" : "≥"
  return goal.on === "ratio" ? `${op} ${goal.limit}×` : `${op} ${goal.limit} ${unit}`
}

const fmt = (x: number | null | undefined, unit = ""): string =>
  x === null || x === undefined ? "—" : `${x}${unit === "" ? "" : ` ${unit}`}`

/** First line of a reason, cut for the table (the JSON report keeps it whole). */
const brief = (s: string, max = 140): string => {
  const first = s.split("\n")[0] ?? ""
  return first.length > max ? `${first.slice(0, max - 1)}…` : first
}

/** Aligns cells into columns two spaces apart, with a rule under the header. */
export const alignColumns = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")
}

/** The short table printed on stderr: one line per figure, aligned columns. */
export const table = (figures: ReadonlyArray<Figure>): string => {
  const header = ["figure", "value", "baseline", "ratio", "goal", "verdict"]
  const rows = figures.map((f) => [
    f.title,
    fmt(f.value, f.unit),
    f.baseline === undefined ? "" : `${fmt(f.baseline.value, f.unit)} (${f.baseline.name})`,
    f.ratio === undefined ? "" : f.ratio === null ? "—" : `${f.ratio}×`,
    formatGoal(f.goal, f.unit),
    f.verdict === "n/a" || f.verdict === "error" ? `${f.verdict}: ${brief(f.note ?? "")}` : f.verdict
  ])
  return alignColumns(header, rows)
}
