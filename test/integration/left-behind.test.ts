/**
 * Every "left behind" message of a timed-out start, checked against the real
 * process table (built CLI, temp HOME): nothing spawned → it says so and no
 * daemon exists; a daemon that was already running (here frozen, so it is never
 * ready) → it keeps running with that pid, never "keeps starting"; another rdd
 * holding the start gate → that pid, alive. (A spawned daemon left starting is
 * covered by the Ctrl-C test in lifecycle.test.ts, which stops the pid it names.)
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { isAlive, q, signal, until, useInstances } from "./lifecycle-support.js"

const instance = useInstances(30_000)

describe("timeout messages say what actually happened", () => {
  it("svc start --timeout=1ms spawns nothing and says so", async () => {
    const i = instance()
    const r = await i.rdd(["svc", "start", "--timeout=1ms", "-o", "json"])
    expect(r.code, r.stderr).toBe(4)
    const left = `this command started nothing: the ${q(i.name)} control plane is not running`
    expect(r.messages.at(-1)).toMatch(new RegExp(`; ${left.replace(/[()"]/g, "\\$&")}$`))
    expect(r.stderr).not.toContain("keeps starting")
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: "timeout", exitCode: 4 })
    expect(i.pids()).toEqual([])
    const status = await i.rdd(["svc", "status", "-o", "json"])
    expect(JSON.parse(status.stdout)).toMatchObject({ started: false })
  }, 30_000)

  it("against a running daemon that is not ready (frozen), start and autostart say it keeps running, with its live pid", async () => {
    const i = instance()
    const quick = await i.rdd(["svc", "start", "-o", "json"])
    expect(quick.code, quick.stderr).toBe(0)
    const pid = JSON.parse(quick.stdout).pid as number
    await signal(pid, "freeze")
    try {
      for (const args of [["svc", "start", "--timeout=1s"], ["limavm", "restart", "vm1", "--timeout=1s"]]) {
        const r = await i.rdd(args)
        expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(4)
        expect(r.messages.at(-1)).toContain(`; the ${q(i.name)} control plane keeps running (pid ${pid}); it was not confirmed ready in time`)
        expect(r.stderr).not.toContain("keeps starting")
        expect(await isAlive(pid)).toBe(true)
        expect(i.pids()).toEqual([pid])
      }
    } finally {
      await signal(pid, "thaw")
    }
    expect((await i.rdd(["svc", "stop"])).code).toBe(0)
  }, 60_000)

  it("another rdd holding the start gate: the message names that live pid, and nothing was spawned", async () => {
    const i = instance()
    expect((await i.rdd(["svc", "create"])).code).toBe(0)
    // a stand-in for a concurrent `rdd svc start` (the gate only asks whether its holder lives)
    const holder = spawn("sleep", ["60"], { stdio: "ignore" })
    try {
      fs.writeFileSync(path.join(i.dir, "rdd.starting"), `${holder.pid} token`)
      const r = await i.rdd(["svc", "start", "--timeout=1s"])
      expect(r.code, r.stderr).toBe(4)
      expect(r.messages.at(-1)).toContain(`; another rdd process (pid ${holder.pid}) keeps starting the ${q(i.name)} control plane`)
      expect(await isAlive(holder.pid!)).toBe(true)
      expect(i.pids()).toEqual([])
    } finally {
      const gone = new Promise((resolve) => holder.once("exit", resolve))
      holder.kill("SIGKILL")
      await gone
    }
    await until("nothing of the instance to run", () => i.pids().length === 0, 5_000)
  }, 30_000)
})
