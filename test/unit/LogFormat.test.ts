import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as LogFormat from "../../src/domain/LogFormat.js"

const time = new Date("2026-11-26T08:33:45.123Z")

describe("LogFormat", () => {
  it("writes logrus text with Go quoting of msg", () => {
    expect(LogFormat.text({ level: "info", message: "\"rancher-desktop-2\" control plane is ready", time })).toBe(
      "time=\"2026-11-26T08:33:45Z\" level=info msg=\"\\\"rancher-desktop-2\\\" control plane is ready\""
    )
  })

  it("writes safe values bare and sorts fields after msg", () => {
    expect(LogFormat.text({ level: "warning", message: "ok", time, fields: { z: "1", a: "two words" } })).toBe(
      "time=\"2026-11-26T08:33:45Z\" level=warning msg=ok a=\"two words\" z=1"
    )
  })

  it("escapes control characters like Go's %q", () => {
    expect(LogFormat.goQuote("a\nb\t\\\u0001")).toBe("\"a\\nb\\t\\\\\\x01\"")
  })

  it("writes JSON with sorted keys", () => {
    expect(LogFormat.json({ level: "error", message: "boom", time })).toBe(
      "{\"level\":\"error\",\"msg\":\"boom\",\"time\":\"2026-11-26T08:33:45Z\"}"
    )
  })

  it("writes the short TTY form with seconds since start", () => {
    const line = LogFormat.tty({ level: "info", message: "hello", time }, new Date(time.getTime() - 3_500))
    expect(line.replace(/\x1b\[[0-9;]*m/g, "")).toBe("INFO[0003] hello")
  })

  it("parses logrus level names", () => {
    expect(Either.getOrThrow(LogFormat.parseLevel("warn"))).toBe("warning")
    for (const l of LogFormat.LevelNames) expect(LogFormat.parseLevel(l)._tag).toBe("Right")
    expect(LogFormat.parseLevel("verbose")._tag).toBe("Left")
  })
})
