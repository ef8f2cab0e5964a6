import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { findServingTls } from "../../bench/api/BareServer.js"
import { measured, table, unavailable } from "../../bench/Figure.js"
import { escapeXml, renderPlot } from "../../bench/plot.js"
import type { Report } from "../../bench/Report.js"

const ratioGoal = { on: "ratio", op: "<=", limit: 2.5 } as const

describe("bench figures", () => {
  it("judges a ratio goal against the ratio, not the absolute value", () => {
    const f = measured({ id: "a", title: "A", unit: "ms", value: 300, baseline: { name: "b", value: 100 }, ratio: 3, goal: ratioGoal })
    expect(f.verdict).toBe("miss")
    expect(measured({ id: "a", title: "A", unit: "ms", value: 200, ratio: 2, goal: ratioGoal }).verdict).toBe("pass")
  })

  it("judges a value goal in both directions", () => {
    expect(measured({ id: "c", title: "C", unit: "/s", value: 2500, goal: { on: "value", op: ">=", limit: 2000 } }).verdict).toBe("pass")
    expect(measured({ id: "c", title: "C", unit: "/s", value: 1500, goal: { on: "value", op: ">=", limit: 2000 } }).verdict).toBe("miss")
  })

  it("never turns a missing measurement into a number", () => {
    const nan = measured({ id: "d", title: "D", unit: "ms", value: Number.NaN, goal: { on: "value", op: "<=", limit: 1 } })
    expect(nan.value).toBeNull()
    expect(nan.verdict).toBe("error")
    const na = unavailable({ id: "e", title: "E", unit: "ms" }, "svc start is not built yet")
    expect(na).toMatchObject({ value: null, verdict: "n/a", note: "svc start is not built yet" })
    // and the JSON report stays valid JSON (no NaN)
    expect(JSON.parse(JSON.stringify([nan, na]))).toHaveLength(2)
  })

  it("renders the table with one aligned line per figure", () => {
    const lines = table([
      measured({ id: "a", title: "rdd --version", unit: "ms", value: 61, baseline: { name: "node -e 0", value: 52 }, ratio: 1.17, goal: ratioGoal }),
      unavailable({ id: "b", title: "rdd svc start", unit: "ms" }, "not built")
    ]).split("\n")
    expect(lines).toHaveLength(4)
    expect(lines[2]).toMatch(/^rdd --version\s+61 ms\s+52 ms \(node -e 0\)\s+1\.17×\s+≤ 2\.5×\s+pass$/)
    expect(lines[3]).toMatch(/n\/a: not built$/)
  })
})

describe("bench plot", () => {
  const report: Report = {
    schema: "rdd-bench/1",
    mode: "quick",
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:01:00.000Z",
    seconds: 60,
    commit: "abc<&>",
    machine: { node: "v20", platform: "linux/x64", cpus: 2, cpuModel: "cpu", memTotalMB: 1, loadavg: [0], loadavgAtEnd: [0] },
    figures: [
      measured({ id: "cli.version", title: "rdd --version", unit: "ms", value: 61, baseline: { name: "node -e 0", value: 52 }, ratio: 1.17, goal: ratioGoal }),
      measured({ id: "api.watch-p99", title: "watch", unit: "ms", value: 4, goal: { on: "value", op: "<=", limit: 10 }, detail: { deliveryMs: { p50: 1, p90: 2, p99: 4 } } })
    ],
    scaling: {
      objects: [{ objects: 1000, createsPerSec: 2000, getsPerSec: 5000, listMs: 20, listMB: 1, rssMB: 80, dbMB: 2 }, { objects: 10000, createsPerSec: 2000, getsPerSec: 5000, listMs: 200, listMB: 10, rssMB: 90, dbMB: 20 }],
      watchers: [],
      growth: {},
      rssMBPer10kObjects: 10,
      idleRssMB: 70
    },
    scalingNote: null,
    misses: [],
    plot: "x.svg"
  }

  it("is one well-formed SVG document with escaped text, goals and gaps visible", () => {
    const svg = renderPlot(report)
    expect(svg.startsWith("<svg ")).toBe(true)
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true)
    expect(svg).toContain("abc&lt;&amp;&gt;")
    expect(svg).not.toMatch(/NaN|undefined/)
    expect(svg).toContain("not measured") // lifecycle figures are absent from this report
    expect(svg).toContain(`class="g"`) // goal markers
    // every opened element is closed
    const opened = (svg.match(/<(svg|text|style)\b/g) ?? []).length
    const closed = (svg.match(/<\/(svg|text|style)>/g) ?? []).length
    expect(opened).toBe(closed)
  })

  it("escapes XML", () => expect(escapeXml(`a<b>&"c"`)).toBe("a&lt;b&gt;&amp;&quot;c&quot;"))
})

describe("bench TLS files for the bare-https baseline", () => {
  const dirWith = (names: ReadonlyArray<string>): string => {
    const dir = mkdtempSync(path.join(tmpdir(), "rdd-bench-tls-"))
    for (const n of names) writeFileSync(path.join(dir, n), "")
    return dir
  }

  it("picks the daemon's serving pair, never the CA's", () => {
    const dir = dirWith(["ca.key", "ca.crt", "apiserver.key", "apiserver.crt"])
    try {
      expect(findServingTls(dir)).toEqual(Either.right({ key: path.join(dir, "apiserver.key"), cert: path.join(dir, "apiserver.crt") }))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("falls back to any non-CA pair and says what it found otherwise", () => {
    const other = dirWith(["ca.crt", "ca.key", "serving-key.pem", "serving-cert.pem"])
    const none = dirWith(["ca.crt", "ca.key"])
    try {
      expect(findServingTls(other)).toEqual(Either.right({ key: path.join(other, "serving-key.pem"), cert: path.join(other, "serving-cert.pem") }))
      const left = findServingTls(none)
      expect(Either.isLeft(left) && left.left).toMatch(/no serving key\/cert found .*ca\.crt, ca\.key/)
    } finally {
      rmSync(other, { recursive: true, force: true })
      rmSync(none, { recursive: true, force: true })
    }
  })
})
