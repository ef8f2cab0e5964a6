/**
 * `--log-level=debug` shows the decisions a user needs when something is off (issue 10
 * item 9): which instance directory, which pid and why it was judged alive or stale,
 * which port, each readiness probe and its answer; `trace` adds every API request.
 * Through the built binary, on the real daemon.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { useInstances } from "./lifecycle-support.js"

const instance = useInstances(60_000)

const debugLines = (stderr: string, level = "debug") =>
  stderr.split("\n").filter((l) => l.includes(`level=${level} `)).join("\n")

describe("debug and trace output", () => {
  it("debug names the instance directory, the pid judgement, the API server's port and each readiness probe; trace the requests", async () => {
    const i = instance()
    const before = await i.rdd(["--log-level=debug", "svc", "status"])
    expect(before.code).toBe(0)
    const beforeDebug = debugLines(before.stderr)
    expect(beforeDebug).toContain(`directory ${i.dir}`)
    expect(beforeDebug).toContain(`${path.join(i.dir, "rdd.pid")} is absent`)

    const start = await i.rdd(["--log-level=trace", "svc", "start"])
    expect(start.code).toBe(0)
    const [pid] = i.pids()
    const port = Number(JSON.parse(fs.readFileSync(path.join(i.dir, "rdd.run.json"), "utf8")).port)
    const startDebug = debugLines(start.stderr)
    expect(startDebug).toContain(`daemon pid ${pid} is alive and serves instance`)
    expect(startDebug).toContain(`API server https://127.0.0.1:${port}`)
    expect(startDebug).toMatch(/GET \/readyz: ready/)
    expect(startDebug).toMatch(/rdd-system\/rdd-controller-manager \w+: stage ready/)
    expect(debugLines(start.stderr, "trace")).toMatch(/GET \/readyz -> 200 \(\d+ ms\)/)

    // the forced status lines keep their level; the judgement behind them shows too
    const status = await i.rdd(["--log-level=debug", "svc", "status"])
    expect(debugLines(status.stderr)).toContain(`listening on port ${port}`)
    expect(status.messages.at(-1)).toBe(`${JSON.stringify(i.name)} control plane PID is: ${pid}`)
    // at the default level none of it shows
    expect((await i.rdd(["svc", "status"])).levels).toEqual(["info", "info", "info"])
  })

  it("a stale pid file is named stale, with the reason (a live process that is not the daemon, or no process)", async () => {
    const i = instance()
    expect((await i.rdd(["svc", "create"])).code).toBe(0)
    const pidFile = path.join(i.dir, "rdd.pid")
    // this test runner is alive and certainly not the instance's daemon
    fs.writeFileSync(pidFile, `${process.pid}\n`)
    const reused = await i.rdd(["--log-level=debug", "svc", "status"])
    expect(debugLines(reused.stderr)).toContain(`pid ${process.pid} (from ${pidFile}) is alive but is not this instance's daemon`)
    expect(reused.messages).toContain(`${JSON.stringify(i.name)} control plane has been started: false`)

    // a pid above the kernel's limit never names a live process
    const limit = Number(fs.readFileSync("/proc/sys/kernel/pid_max", "utf8"))
    fs.writeFileSync(pidFile, `${limit + 1}\n`)
    const gone = await i.rdd(["--log-level=debug", "svc", "status"])
    expect(debugLines(gone.stderr)).toContain(`pid ${limit + 1} (from ${pidFile}) is not running; the pid file is stale`)
  })
})
