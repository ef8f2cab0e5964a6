import { execFileSync } from "node:child_process"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { render } from "../../src/domain/limavm/Seed.js"
import { writeSeedIso } from "../../src/layers/qemu/SeedIso.js"

const dirs: Array<string> = []
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-iso-"))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

const files = render({
  vmName: "web",
  user: { name: "alice", uid: 1000, home: "/home/alice", shell: "/bin/bash" },
  authorizedKeys: ["ssh-ed25519 AAAA lima"],
  provision: [{ mode: "system", script: "#!/bin/sh\ntrue\n" }, { mode: "boot", script: "true" }],
  env: {}
})

const hasIsoinfo = (() => {
  try {
    execFileSync("isoinfo", ["-version"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()

describe("writeSeedIso", () => {
  it("writes a cidata ISO with every seed file, mode 0600, and leaves no temp file behind", async () => {
    const dir = tempDir()
    const iso = path.join(dir, "cidata.iso")
    await Effect.runPromise(writeSeedIso(iso, files))
    const st = fs.statSync(iso)
    expect(st.mode & 0o777).toBe(0o600)
    // the primary volume descriptor is sector 16; its volume identifier starts at byte 40
    const label = Buffer.alloc(32)
    const fd = fs.openSync(iso, "r")
    fs.readSync(fd, label, 0, 32, 32808)
    fs.closeSync(fd)
    expect(label.toString("ascii").trimEnd()).toBe("cidata")
    expect(fs.readdirSync(dir)).toEqual(["cidata.iso"])
    if (hasIsoinfo) {
      const listing = execFileSync("isoinfo", ["-f", "-J", "-i", iso], { encoding: "utf8" }).split("\n").filter((l) => l !== "")
      expect(listing.sort()).toEqual(
        ["/boot", "/provision", ...files.map((f) => `/${f.path}`)].sort()
      )
      const bootSh = execFileSync("isoinfo", ["-J", "-i", iso, "-x", "/boot.sh"], { encoding: "utf8" })
      expect(bootSh).toBe(files.find((f) => f.path === "boot.sh")?.content)
      // Rock Ridge records the executable bit boot.sh needs
      const rr = execFileSync("isoinfo", ["-l", "-R", "-i", iso], { encoding: "utf8" })
      expect(rr).toMatch(/-rwxr-xr-x .* boot\.sh/)
    }
  })

  it("replaces an existing seed in place", async () => {
    const dir = tempDir()
    const iso = path.join(dir, "cidata.iso")
    fs.writeFileSync(iso, "old")
    await Effect.runPromise(writeSeedIso(iso, files))
    expect(fs.statSync(iso).size).toBeGreaterThan(10_000)
    expect(fs.readdirSync(dir)).toEqual(["cidata.iso"])
  })

  it("names the Debian packages when no ISO tool exists, and leaves nothing behind", async () => {
    const dir = tempDir()
    const iso = path.join(dir, "cidata.iso")
    const exit = await Effect.runPromiseExit(writeSeedIso(iso, files, [{ binary: "rdd-no-such-genisoimage", prefix: [] }]))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(String(exit)).toMatch(/genisoimage or xorriso/)
    expect(fs.readdirSync(dir)).toEqual([])
  })

  it("reports a failing tool with its stderr, and rejects paths outside the seed", async () => {
    const dir = tempDir()
    const iso = path.join(dir, "cidata.iso")
    const failing = await Effect.runPromiseExit(writeSeedIso(iso, files, [{ binary: "sh", prefix: ["-c", "echo broken tool >&2; exit 2", "sh"] }]))
    expect(String(failing)).toMatch(/sh failed to make the seed ISO \(exit 2\): broken tool/)
    const escaping = await Effect.runPromiseExit(writeSeedIso(iso, [{ path: "../evil", content: "x" }]))
    expect(String(escaping)).toMatch(/not a relative path inside the seed/)
    expect(fs.readdirSync(dir)).toEqual([])
  })
})
