import { describe, expect, it } from "@effect/vitest"
import { agentTime } from "../../bench/cloud/Boot.js"
import { httpTemplate } from "../../bench/cloud/CacheHit.js"

describe("bench cloud group", () => {
  it("reads the time of an exact host agent line from ha.log", () => {
    const log = [
      "2026-12-04T17:27:35.171Z SSH answers",
      "2026-12-04T17:27:37.167Z SSH control master is up",
      "2026-12-04T17:28:21.574Z ready"
    ].join("\n")
    expect(agentTime(log, "SSH answers")).toBe(Date.parse("2026-12-04T17:27:35.171Z"))
    expect(agentTime(log, "ready")).toBe(Date.parse("2026-12-04T17:28:21.574Z"))
    // a prefix of another line is not that line
    expect(agentTime(log, "SSH")).toBeUndefined()
  })

  it("points the template's three files at the server and leaves the rest alone", () => {
    const dir = "/cache/cloud-1"
    const text = [
      "cpus: 2",
      "images:",
      `- location: "${dir}/base.qcow2"`,
      "  kernel:",
      `    location: "${dir}/vmlinuz"`,
      "    cmdline: \"root=/dev/vda rw console=ttyS0\"",
      "  initrd:",
      `    location: "${dir}/initrd.img"`
    ].join("\n")
    const out = httpTemplate(text, dir, (p) => `http://127.0.0.1:9${p}`)
    expect(out).toContain("- location: \"http://127.0.0.1:9/cloud/base.qcow2\"")
    expect(out).toContain("    location: \"http://127.0.0.1:9/cloud/vmlinuz\"")
    expect(out).toContain("    location: \"http://127.0.0.1:9/cloud/initrd.img\"")
    expect(out).not.toContain(dir)
    expect(out).toContain("cmdline: \"root=/dev/vda rw console=ttyS0\"")
  })
})
