import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as Instance from "../../src/domain/Instance.js"

const make = (s: string) => Either.getOrThrow(Instance.make(s))

describe("Instance", () => {
  it.each([
    ["2", 2, 6445],
    ["42", 42, 6485],
    ["99", 99, 6542],
    ["bats", 126, 6569],
    ["cc", 198, 6641],
    ["test", 148, 6591],
    ["0", 148, 6591],
    ["100", 145, 6588]
  ])("suffix %s → index %i, port %i", (suffix, index, port) => {
    const i = make(suffix)
    expect(i.index).toBe(index)
    expect(i.defaultPort).toBe(port)
    expect(i.name).toBe(`rancher-desktop-${suffix}`)
  })

  it.each(["../x", "", ".hidden", "a/b", "a..b", "x".repeat(41), "-x", "a b", "é"])("rejects %j", (s) => {
    expect(Either.isLeft(Instance.make(s))).toBe(true)
  })

  it("accepts the full allowed alphabet", () => {
    expect(Either.isRight(Instance.make("A-z_0.9"))).toBe(true)
    expect(Either.isRight(Instance.make("x".repeat(40)))).toBe(true)
  })

  it("computes the Linux paths like the Go tool", () => {
    const p = Instance.paths(make("2"), { home: "/home/u", platform: "linux" })
    expect(p.dir).toBe("/home/u/.local/share/rancher-desktop-2")
    expect(p.log_dir).toBe("/home/u/.local/state/rancher-desktop-2")
    expect(p.short_dir).toBe("/home/u/.rd2")
    expect(p.lima_home).toBe("/home/u/.rd2/lima")
    expect(p.tls_dir).toBe("/home/u/.local/share/rancher-desktop-2/tls")
    expect(p.args_file).toBe("/home/u/.local/share/rancher-desktop-2/args.json")
    expect(p.pid_file).toBe("/home/u/.local/share/rancher-desktop-2/rdd.pid")
    expect(p.config).toBe("/home/u/.local/share/rancher-desktop-2/config.yaml")
    expect(p.db).toBe("/home/u/.local/share/rancher-desktop-2/rdd.sqlite3")
    expect(p.docker_socket).toBe("/home/u/.rd2/docker.sock")
    expect(p.k3s_config).toBe("/home/u/.local/share/rancher-desktop-2/k3s.yaml")
  })

  it("computes the macOS paths and puts the log dir under RDD_LOG_ROOT, one per instance", () => {
    const p = Instance.paths(make("7"), { home: "/Users/u", platform: "darwin" })
    expect(p.dir).toBe("/Users/u/Library/Application Support/rancher-desktop-7")
    expect(p.log_dir).toBe("/Users/u/Library/Logs/rancher-desktop-7")
    const q = Instance.paths(make("7"), { home: "/Users/u", platform: "darwin", logRoot: "/tmp/logs" })
    expect(q.log_dir).toBe("/tmp/logs/rancher-desktop-7")
    expect(q.stderr_log).toBe("/tmp/logs/rancher-desktop-7/rdd.stderr.log")
  })

  it("refuses to remove a directory that is not named after the instance", () => {
    const dev = make("dev")
    const own = Instance.paths(dev, { home: "/h", platform: "linux", logRoot: "/var/log/rdd" })
    for (const key of ["dir", "log_dir", "short_dir"] as const) {
      expect(Instance.refuseRemoval(dev, key, own[key])).toBeUndefined()
    }
    const other = Instance.paths(make("2"), { home: "/h", platform: "linux" })
    for (const key of ["dir", "log_dir", "short_dir"] as const) {
      expect(Instance.refuseRemoval(dev, key, other[key])).toMatch(/refusing to remove .*rancher-desktop-dev/)
    }
    expect(Instance.refuseRemoval(dev, "log_dir", "/var/log/rdd")).toMatch(/refusing/)
    expect(Instance.refuseRemoval(dev, "dir", "/h")).toMatch(/refusing/)
    expect(Instance.refuseRemoval(dev, "short_dir", "/h/.rd2")).toMatch(/refusing/)
  })

  it("every key of svc paths is computed", () => {
    const p = Instance.paths(make("2"), { home: "/h", platform: "linux" })
    for (const k of Instance.PathKeys) expect(p[k]).toMatch(/^\/h\//)
  })

  it.each([["123", 123], [" 77\n", 77], ["", undefined], ["12x", undefined], ["-5", undefined], ["1", undefined]])(
    "parsePid(%j)",
    (text, pid) => expect(Instance.parsePid(text)).toBe(pid)
  )
})
