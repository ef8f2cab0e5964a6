/**
 * `rdd ctl ARGS...` on a control plane that is ready right now, answered by the bin
 * (src/shim.ts, through index.ts) before any of Effect is loaded: the common case
 * of the command developers type most, whose whole cost should be Node's start and
 * kubectl's (SPEC 6; issue 15: `rdd ctl get ns` ≤ 2.5× bare kubectl).
 *
 * Loading Effect's runtime, the command's layers, the YAML parser for the
 * kubeconfig and a TLS handshake for the readiness look cost rdd about 1.5×
 * kubectl's own time, the larger part of the command (profiles in
 * docs/benchmarks.md). This path does none of it. It reads the same files through
 * the same rules as the full path (GlobalArgs, DirectCommand, Instance, RunRecord,
 * CommandLine.servesInstance, KubectlBinary: one definition each), asks the
 * daemon's readiness socket (domain/ReadySignal.ts: this run, ready, and the very
 * kubeconfig it wrote), and runs kubectl exactly as the full path would: same
 * binary, same KUBECONFIG, exit code passed on.
 *
 * It only ever says "ran kubectl" or "not mine": any doubt (no daemon, another
 * run, no answer within the bound, a kubeconfig changed since the daemon wrote it,
 * a flag it does not take, a log level that would print the full path's debug
 * lines, no kubectl) returns false before anything was started, and the bin then
 * runs the full path (commands/ctl-run.ts), which looks again, autostarts and
 * reports.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { ExitCode } from "../domain/ExitCodes.js"
import * as Instance from "../domain/Instance.js"
import * as ReadySignal from "../domain/ReadySignal.js"
import * as RunRecord from "../domain/RunRecord.js"
import { childExitCode, locate, selfPaths } from "../layers/KubectlBinary.js"
import * as ReadyProbe from "../layers/ReadyProbe.js"
import { type CommandLine, type Host, liveDaemon, readText } from "./daemon.js"

/**
 * How long the readiness socket may take to answer. A ready daemon answers within
 * a millisecond or two; one that does not answer in this time is frozen or very
 * busy, and the full path's look (with its own 2 s bound) decides then.
 */
export const AskBound = 500

/** What the bin does for these words: run kubectl with this kubeconfig, or leave the command to the full path. */
export type Plan =
  | { readonly kind: "kubectl"; readonly kubectl: string; readonly args: ReadonlyArray<string>; readonly kubeconfig: string }
  | { readonly kind: "full"; readonly why: string }

const full = (why: string): Plan => ({ kind: "full", why })

const kubeconfigStamp = (file: string): string | undefined => {
  try {
    return ReadySignal.fileStamp(fs.statSync(file, { bigint: true }))
  } catch {
    return undefined
  }
}

/** Decides, changing nothing (it reads files and asks the socket), whether the command line runs kubectl on a ready control plane right now. */
export const plan = async (line: CommandLine | string, host: Host): Promise<Plan> => {
  if (typeof line === "string") return full(line)
  const { direct, globals: g } = line
  if (direct?.command !== "ctl") return full("not a plain ctl command line")
  const kubectl = locate(host.env, selfPaths())
  if (kubectl === undefined) return full("no kubectl")
  const paths = Instance.paths(g.instance, host.pathEnv)
  const pid = liveDaemon(paths, g.instance.suffix)
  if (pid === undefined) return full("no daemon of this instance runs")
  const recordText = readText(paths.run_file)
  const record = recordText === undefined ? undefined : RunRecord.decode(recordText)
  if (record?._tag !== "Right" || record.right.pid !== pid) return full("no run record of the daemon")
  const stamp = kubeconfigStamp(paths.config)
  if (stamp === undefined) return full("no kubeconfig")
  const answer = await ReadyProbe.ask(paths.ready_socket, AskBound)
  if (answer?.startId !== record.right.startId) return full("the readiness socket does not name this run")
  if (answer.kubeconfig !== stamp) return full("the kubeconfig is not the one this run wrote")
  return { kind: "kubectl", kubectl, args: direct.args, kubeconfig: paths.config }
}

/**
 * Runs kubectl as the full path does (NodeKubectl: inherited stdio, KUBECONFIG
 * added, exit code or 128 + signal) and sets the exit code. A SIGINT or SIGTERM to
 * rdd ends kubectl and exits 130, as an interrupted Effect program does (Ctrl-C
 * reaches kubectl itself: same process group). False when kubectl could not be
 * started: nothing ran, and the full path reports it.
 */
const runKubectl = (p: Extract<Plan, { kind: "kubectl" }>): Promise<boolean> =>
  new Promise((resolve) => {
    const child = spawn(p.kubectl, [...p.args], { stdio: "inherit", env: { ...process.env, KUBECONFIG: p.kubeconfig } })
    let interrupted = false
    const onSignal = () => {
      interrupted = true
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
    }
    const signals = ["SIGINT", "SIGTERM"] as const
    for (const s of signals) process.on(s, onSignal)
    const detach = () => {
      for (const s of signals) process.removeListener(s, onSignal)
    }
    child.once("error", () => {
      // only a child that never started (no pid) is handed back; one that runs ends with "exit"
      if (child.pid !== undefined) return
      detach()
      resolve(false)
    })
    child.once("exit", (code, signal) => {
      detach()
      process.exitCode = interrupted ? ExitCode.Interrupted : childExitCode(code, signal)
      resolve(true)
    })
  })

/** True when the command ran here (the exit code is set), false when the full path must run it. */
export const run = async (line: CommandLine, host: Host): Promise<boolean> => {
  const p = await plan(line, host)
  return p.kind === "kubectl" ? runKubectl(p) : false
}
