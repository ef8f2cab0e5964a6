/** The readiness socket's line (domain/ReadySignal.ts): what the daemon writes is what ctl reads back, and nothing else is. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import * as ReadySignal from "../../src/domain/ReadySignal.js"

describe("ReadySignal", () => {
  it("reads back what the daemon writes", () => {
    const answer = { startId: "5b0c6a8e-2f0e-4c1b-9d57-0a1f3c2b4d6e", kubeconfig: "2049:131:5321:1796524582784000000" }
    expect(ReadySignal.parse(ReadySignal.line(answer))).toEqual(answer)
  })

  it("takes nothing but one whole line", () => {
    for (const output of ["", "rdd ready x y", "rdd ready x\n", "rdd ready x y z\n", "rdd ready x y\nmore\n", "ready x y\n", "rdd ready  y\n"]) {
      expect(ReadySignal.parse(output), JSON.stringify(output)).toBeUndefined()
    }
  })

  it("a file's stamp changes when it is rewritten, even with the same text, and when it is replaced", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-stamp-"))
    try {
      const file = path.join(dir, "config.yaml")
      fs.writeFileSync(file, "a: 1\n")
      const stamp = () => ReadySignal.fileStamp(fs.statSync(file, { bigint: true }))
      const first = stamp()
      expect(stamp()).toBe(first)
      fs.utimesSync(file, new Date(2020, 0, 1), new Date(2020, 0, 1))
      const touched = stamp()
      expect(touched).not.toBe(first)
      fs.writeFileSync(`${file}.new`, "a: 1\n")
      fs.utimesSync(`${file}.new`, new Date(2020, 0, 1), new Date(2020, 0, 1))
      fs.renameSync(`${file}.new`, file)
      expect(stamp()).not.toBe(touched) // same text, size and time: another inode
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("a socket path must fit sun_path", () => {
    expect(ReadySignal.usable(`/${"a".repeat(ReadySignal.MaxPathBytes - 1)}`)).toBe(true)
    expect(ReadySignal.usable(`/${"a".repeat(ReadySignal.MaxPathBytes)}`)).toBe(false)
  })
})
