/**
 * The SVG plot written next to the JSON report: a person would rather look
 * than read. Pure string building, no dependencies: horizontal bar panels
 * (start-up, lifecycle, throughput, latency percentiles, memory), each bar
 * coloured by its verdict with the goal drawn as a dashed marker, and line
 * panels for the cost-as-work-grows section. Missing figures are drawn as
 * "not measured" rows rather than left out, so a gap is visible.
 */
import type { Figure, Verdict } from "./Figure.js"
import type { Report } from "./Report.js"

export interface Row {
  readonly label: string
  readonly value: number | null
  readonly goal?: number | undefined
  readonly verdict?: Verdict | undefined
  /** a neutral colour for baselines and percentiles that have no verdict of their own */
  readonly color?: string
}

export interface BarPanel {
  readonly kind: "bars"
  readonly title: string
  readonly unit: string
  readonly log?: boolean
  readonly rows: ReadonlyArray<Row>
}

export interface LinePanel {
  readonly kind: "lines"
  readonly title: string
  readonly xLabel: string
  readonly unit: string
  readonly series: ReadonlyArray<{ readonly name: string; readonly color: string; readonly points: ReadonlyArray<readonly [number, number]> }>
  readonly goal?: number
  /** shown instead of the chart when there are no points */
  readonly emptyText?: string
}

export type Panel = BarPanel | LinePanel

const W = 480
const H_ROW = 26
const PAD = 16
const LABEL_W = 170

export const escapeXml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const colors: Record<Verdict, string> = {
  pass: "#2e9d4b",
  miss: "#d1432f",
  info: "#5b7fc7",
  "n/a": "#aaaaaa",
  error: "#aaaaaa"
}

const fmt = (x: number): string =>
  x >= 1000 ? `${Math.round(x).toLocaleString("en-US")}` : x >= 10 ? `${Math.round(x * 10) / 10}` : `${Math.round(x * 100) / 100}`

const text = (x: number, y: number, s: string, attrs = ""): string =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${escapeXml(s)}</text>`

/** Height a panel needs, so the layout can stack panels of different sizes. */
export const panelHeight = (p: Panel): number =>
  p.kind === "bars" ? 44 + p.rows.length * H_ROW + 10 : p.series.length === 0 ? 90 : 220

const bars = (p: BarPanel, x0: number, y0: number): string => {
  const out: Array<string> = [text(x0 + PAD, y0 + 22, `${p.title} (${p.unit}${p.log === true ? ", log scale" : ""})`, `class="t"`)]
  const values = p.rows.flatMap((r) => [r.value ?? 0, r.goal ?? 0]).filter((v) => v > 0)
  const max = values.length === 0 ? 1 : Math.max(...values) * 1.15
  const min = p.log === true ? Math.max(Math.min(...values, max) / 2, 1e-3) : 0
  const plotX = x0 + PAD + LABEL_W
  const plotW = W - 2 * PAD - LABEL_W - 60
  const scale = (v: number): number =>
    p.log === true
      ? (Math.log(Math.max(v, min)) - Math.log(min)) / (Math.log(max) - Math.log(min)) * plotW
      : (v / max) * plotW
  p.rows.forEach((r, i) => {
    const y = y0 + 36 + i * H_ROW
    out.push(text(x0 + PAD, y + 15, r.label, `class="l"`))
    if (r.value === null) {
      out.push(text(plotX, y + 15, "not measured", `class="na"`))
    } else {
      const w = Math.max(1, scale(r.value))
      const color = r.color ?? colors[r.verdict ?? "info"]
      out.push(`<rect x="${plotX}" y="${y + 3}" width="${w.toFixed(1)}" height="${H_ROW - 8}" fill="${color}"/>`)
    }
    if (r.goal !== undefined) {
      const gx = plotX + scale(r.goal)
      out.push(`<line x1="${gx.toFixed(1)}" x2="${gx.toFixed(1)}" y1="${y}" y2="${y + H_ROW - 2}" class="g"/>`)
    }
    if (r.value !== null) out.push(text(plotX + Math.max(1, scale(r.value)) + 4, y + 15, fmt(r.value), `class="v"`))
  })
  return out.join("\n")
}

const lines = (p: LinePanel, x0: number, y0: number): string => {
  const out: Array<string> = [text(x0 + PAD, y0 + 22, p.unit === "" ? p.title : `${p.title} (${p.unit})`, `class="t"`)]
  const pts = p.series.flatMap((s) => s.points)
  if (pts.length === 0) {
    out.push(text(x0 + PAD, y0 + 60, p.emptyText ?? "not measured", `class="na"`))
    return out.join("\n")
  }
  const xs = [...new Set(pts.map(([x]) => x))].sort((a, b) => a - b)
  const ymax = Math.max(...pts.map(([, y]) => y), p.goal ?? 0) * 1.15 || 1
  const left = x0 + PAD + 50
  const right = x0 + W - PAD - 90
  const top = y0 + 40
  const bottom = y0 + 180
  const lx = (x: number): number =>
    xs.length < 2 ? (left + right) / 2 : left + (Math.log(x) - Math.log(xs[0]!)) / (Math.log(xs[xs.length - 1]!) - Math.log(xs[0]!)) * (right - left)
  const ly = (y: number): number => bottom - (y / ymax) * (bottom - top)
  out.push(`<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" class="a"/>`)
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${bottom}" class="a"/>`)
  for (const x of xs) out.push(text(lx(x), bottom + 14, fmt(x), `class="v" text-anchor="middle"`))
  out.push(text((left + right) / 2, bottom + 30, p.xLabel, `class="l" text-anchor="middle"`))
  for (const f of [0, 0.5, 1]) out.push(text(left - 4, ly(ymax / 1.15 * f) + 4, fmt(ymax / 1.15 * f), `class="v" text-anchor="end"`))
  if (p.goal !== undefined) out.push(`<line x1="${left}" x2="${right}" y1="${ly(p.goal).toFixed(1)}" y2="${ly(p.goal).toFixed(1)}" class="g"/>`)
  p.series.forEach((s, i) => {
    const d = [...s.points].sort((a, b) => a[0] - b[0]).map(([x, y], j) => `${j === 0 ? "M" : "L"}${lx(x).toFixed(1)},${ly(y).toFixed(1)}`).join(" ")
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`)
    for (const [x, y] of s.points) out.push(`<circle cx="${lx(x).toFixed(1)}" cy="${ly(y).toFixed(1)}" r="3" fill="${s.color}"/>`)
    out.push(`<rect x="${right + 10}" y="${top + i * 18}" width="10" height="10" fill="${s.color}"/>`)
    out.push(text(right + 24, top + i * 18 + 9, s.name, `class="v"`))
  })
  return out.join("\n")
}

/** Lays panels out in two columns and wraps them in one SVG document. */
export const renderPanels = (title: string, subtitle: string, panels: ReadonlyArray<Panel>): string => {
  const colY = [60, 60]
  const body: Array<string> = []
  for (const p of panels) {
    const col = colY[0]! <= colY[1]! ? 0 : 1
    const x = col * W
    const y = colY[col]!
    const h = panelHeight(p)
    body.push(`<rect x="${x + 4}" y="${y}" width="${W - 8}" height="${h - 8}" class="p"/>`)
    body.push(p.kind === "bars" ? bars(p, x, y) : lines(p, x, y))
    colY[col] = y + h
  }
  const height = Math.max(...colY) + 10
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${height}" viewBox="0 0 ${2 * W} ${height}" font-family="sans-serif">`,
    `<style>.t{font-size:14px;font-weight:bold}.l{font-size:12px}.v{font-size:11px;fill:#333;paint-order:stroke;stroke:#fafafa;stroke-width:3px}.na{font-size:11px;fill:#999;font-style:italic}.p{fill:#fafafa;stroke:#ddd}.g{stroke:#d1432f;stroke-width:2;stroke-dasharray:4 3}.a{stroke:#666}</style>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    text(PAD, 26, title, `font-size="18" font-weight="bold"`),
    text(PAD, 46, subtitle, `class="v"`),
    ...body,
    `</svg>`,
    ""
  ].join("\n")
}

const byId = (report: Report, id: string): Figure | undefined => report.figures.find((f) => f.id === id)

const row = (report: Report, id: string, label: string, goal?: number): Row => {
  const f = byId(report, id)
  return { label, value: f?.value ?? null, goal, verdict: f?.verdict }
}

const baselineRow = (report: Report, id: string, label: string): Row => {
  const b = byId(report, id)?.baseline
  return { label, value: b?.value ?? null, color: "#9aa5b1" }
}

const detailSummary = (f: Figure | undefined, key: string): { p50: number; p90: number; p99: number } | undefined => {
  const s = f?.detail?.[key] as { p50?: unknown; p90?: unknown; p99?: unknown } | undefined
  return s !== undefined && typeof s.p50 === "number" && typeof s.p90 === "number" && typeof s.p99 === "number"
    ? { p50: s.p50, p90: s.p90, p99: s.p99 }
    : undefined
}

/** The report's panels, in the order of the figures' priority. */
export const panelsOf = (report: Report): ReadonlyArray<Panel> => {
  const goalOf = (id: string): number | undefined => {
    const f = byId(report, id)
    if (f?.goal === undefined) return undefined
    return f.goal.on === "value" ? f.goal.limit : f.baseline === undefined ? undefined : f.goal.limit * f.baseline.value
  }
  const panels: Array<Panel> = [
    {
      kind: "bars",
      title: "CLI start-up, median wall time",
      unit: "ms",
      rows: [
        baselineRow(report, "cli.version", "node -e 0 (baseline)"),
        row(report, "cli.version", "rdd --version", goalOf("cli.version")),
        row(report, "cli.svc-status", "rdd svc status", goalOf("cli.svc-status"))
      ]
    },
    {
      kind: "bars",
      title: "Lifecycle and VM start",
      unit: "ms",
      rows: [
        row(report, "lifecycle.start", "rdd svc start → ready", goalOf("lifecycle.start")),
        row(report, "lifecycle.stop", "rdd svc stop", goalOf("lifecycle.stop")),
        row(report, "daemon.start-to-ready", "svc serve → ready (no CLI)"),
        row(report, "vm.qemu-start", "qemu start − guest boot", goalOf("vm.qemu-start"))
      ]
    },
    {
      kind: "bars",
      title: "Throughput, one keep-alive client",
      unit: "ops/s",
      log: true,
      rows: [
        row(report, "api.creates", "ConfigMap creates/s", goalOf("api.creates")),
        baselineRow(report, "api.creates", "raw SQLite writes/s"),
        row(report, "api.gets", "ConfigMap gets/s", goalOf("api.gets")),
        baselineRow(report, "api.gets", "bare https GETs/s")
      ]
    }
  ]
  const latencyRows: Array<Row> = []
  const pctColors = ["#9cc3e6", "#5b7fc7", "#2b4c8c"] as const
  for (const [id, key, label] of [
    ["api.creates", "latencyMs", "create"],
    ["api.gets", "latencyMs", "get"],
    ["api.watch-p99", "deliveryMs", "watch delivery"]
  ] as const) {
    const s = detailSummary(byId(report, id), key)
    ;(["p50", "p90", "p99"] as const).forEach((p, i) =>
      latencyRows.push({
        label: `${label} ${p}`,
        value: s?.[p] ?? null,
        color: pctColors[i]!,
        goal: id === "api.watch-p99" && p === "p99" ? goalOf(id) : undefined
      })
    )
  }
  panels.push({ kind: "bars", title: "Latency percentiles", unit: "ms", log: true, rows: latencyRows })
  panels.push({
    kind: "bars",
    title: "LIST of 10,000 ConfigMaps",
    unit: "ms",
    rows: [
      row(report, "api.list-10k", "rdd LIST", goalOf("api.list-10k")),
      baselineRow(report, "api.list-10k", "same bytes, bare https")
    ]
  })
  panels.push({
    kind: "bars",
    title: "Daemon memory",
    unit: "MB",
    rows: [
      row(report, "daemon.idle-rss", "idle RSS", goalOf("daemon.idle-rss")),
      row(report, "daemon.rss-growth", "RSS growth, create/delete", goalOf("daemon.rss-growth"))
    ]
  })
  if (report.scaling !== null) {
    const o = report.scaling.objects
    const x = "objects in the namespace (log scale)"
    panels.push({
      kind: "lines",
      title: "LIST time as objects grow",
      xLabel: x,
      unit: "ms",
      series: [{ name: "LIST", color: "#d1432f", points: o.map((p) => [p.objects, p.listMs] as const) }]
    })
    panels.push({
      kind: "lines",
      title: "Per-request time as objects grow",
      xLabel: x,
      unit: "ms",
      series: [
        { name: "create", color: "#e08a2c", points: o.map((p) => [p.objects, 1000 / p.createsPerSec] as const) },
        { name: "get", color: "#2e9d4b", points: o.map((p) => [p.objects, 1000 / p.getsPerSec] as const) }
      ]
    })
    panels.push({
      kind: "lines",
      title: "Daemon RSS as objects grow",
      xLabel: x,
      unit: "MB",
      series: [{ name: "RSS", color: "#5b7fc7", points: o.map((p) => [p.objects, p.rssMB] as const) }]
    })
    const w = report.scaling.watchers
    panels.push({
      kind: "lines",
      title: "Watch delivery as watchers grow",
      xLabel: "watchers (log scale)",
      unit: "ms",
      series: [
        { name: "p50", color: "#9cc3e6", points: w.map((p) => [p.watchers, p.p50Ms] as const) },
        { name: "p99", color: "#2b4c8c", points: w.map((p) => [p.watchers, p.p99Ms] as const) }
      ]
    })
  }
  if (report.scaling === null) {
    panels.push({ kind: "lines", title: "Cost as work grows", xLabel: "", unit: "", series: [], emptyText: report.scalingNote ?? "not measured" })
  }
  return panels
}

export const renderPlot = (report: Report): string =>
  renderPanels(
    `rdd benchmark (${report.mode}), ${report.startedAt}`,
    `commit ${report.commit} · node ${report.machine.node} · ${report.machine.cpus} × ${report.machine.cpuModel} · green: goal met, red: missed, dashed: goal`,
    panelsOf(report)
  )
