/**
 * The App's container engine (issue 13), on the real engine guest
 * (`scripts/test-image.sh --cloud --engine`), in one run: `rdd set running=true`
 * until `docker version` answers through the instance's context, first on a
 * fresh instance (cold: first boot, cloud-init's per-instance work) and then
 * after `rdd stop` (warm: the same VM booted again); and the round trip of
 * `docker ps` through the forwarded socket against `docker ps` run in the guest
 * over the VM's own SSH (multiplexed on its control master), alternated, as a
 * ratio. Minutes per boot under TCG: not part of --quick.
 */
import { spawnSync } from "node:child_process"
import * as path from "node:path"
import { Effect, Either } from "effect"
import * as Instance from "../../src/domain/Instance.js"
import { type Figure, measured, unavailable } from "../Figure.js"
import { isAlive, rddBin, rddEnv, repoRoot, stopPid, tempHome, timeRun, uniqueSuffix } from "../Proc.js"
import { median, pairedRatio } from "../stats.js"
import { readPid } from "../cloud/Instance.js"

export const Specs = {
  cold: { id: "engine.start-to-docker-cold", title: "rdd set running=true → docker version answers (first boot)", unit: "s" },
  warm: { id: "engine.start-to-docker-warm", title: "rdd start after stop → docker version answers", unit: "s" },
  ps: { id: "engine.docker-ps-socket-vs-ssh", title: "docker ps via forwarded socket (vs in guest over SSH)", unit: "ms" }
} as const

const template = (): Either.Either<string, string> => {
  const r = spawnSync("bash", [path.join(repoRoot, "scripts", "test-image.sh"), "--cloud", "--engine"], { encoding: "utf8", timeout: 40 * 60_000 })
  const out = (r.stdout ?? "").trim()
  return r.status === 0 && out !== "" ? Either.right(out) : Either.left(`test-image.sh --cloud --engine: exit ${r.status}`)
}

export const engine = (options: { readonly psRounds: number }): Effect.Effect<ReadonlyArray<Figure>, Error> =>
  Effect.scoped(Effect.gen(function*() {
    if (spawnSync("docker", ["--version"], { stdio: "ignore" }).status !== 0) {
      return Object.values(Specs).map((s) => unavailable(s, "the docker CLI is not installed (Debian package docker.io)"))
    }
    const tpl = template()
    if (Either.isLeft(tpl)) return Object.values(Specs).map((s) => unavailable(s, tpl.left))
    const home = yield* tempHome("rdd-bench-engine-")
    const suffix = uniqueSuffix("en")
    const env = rddEnv(home, { RDD_APP_TEMPLATE: tpl.right, RDD_LOG_LEVEL: "info" })
    const paths = Instance.paths(Either.getOrThrow(Instance.make(suffix)), { home, platform: "linux" })
    const rdd = (...args: ReadonlyArray<string>) => [process.execPath, rddBin, "--instance", suffix, ...args]
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        const pid = readPid(paths.pid_file)
        if (pid !== undefined && isAlive(pid)) {
          timeRun(rdd("ctl", "delete", "app", "app", "--timeout=5m"), { env, timeoutMs: 330_000 })
          timeRun(rdd("svc", "stop", "--timeout=90s"), { env, timeoutMs: 100_000 })
          yield* stopPid(pid, 30_000)
        }
      })
    )
    const dockerEnv = { ...env, DOCKER_HOST: "" }
    const context = `rancher-desktop-${suffix}`
    const up = timeRun(rdd("svc", "start"), { env, timeoutMs: 120_000 })
    if (up.code !== 0) return Object.values(Specs).map((s) => unavailable(s, `svc start: ${up.stderr.trim().split("\n").pop()}`, "error"))
    /** running=true (cold or warm) then docker version through the context, in seconds */
    const startToDocker = (verb: ReadonlyArray<string>) => {
      const set = timeRun(rdd(...verb, "--timeout=15m"), { env, timeoutMs: 960_000 })
      if (set.code !== 0) return Either.left(`${verb.join(" ")}: exit ${set.code}: ${set.stderr.trim().split("\n").pop()}`)
      const v = timeRun(["docker", "--context", context, "version", "--format", "{{.Server.Version}}"], { env: dockerEnv, timeoutMs: 60_000 })
      if (v.code !== 0) return Either.left(`docker version: ${v.stderr.trim()}`)
      return Either.right({ s: (set.ms + v.ms) / 1000, setS: set.ms / 1000, dockerMs: v.ms, version: v.stdout.trim() })
    }
    const cold = startToDocker(["set", "running=true", "containerEngine.name=moby"])
    const ps = { socket: [] as Array<number>, ssh: [] as Array<number> }
    const sshConfig = path.join(paths.lima_home, "rd", "ssh.config")
    let psError: string | undefined
    if (Either.isRight(cold)) {
      for (let i = 0; i < options.psRounds && psError === undefined; i++) {
        const viaSocket = () => timeRun(["docker", "--context", context, "ps"], { env: dockerEnv })
        const viaSsh = () => timeRun(["ssh", "-F", sshConfig, "lima-rd", "docker", "ps"], { env })
        const [a, b] = i % 2 === 0 ? [viaSocket(), viaSsh()] : [viaSsh(), viaSocket()].reverse()
        if (a!.code !== 0 || b!.code !== 0) psError = `docker ps failed: ${a!.stderr.trim()} ${b!.stderr.trim()}`
        ps.socket.push(a!.ms)
        ps.ssh.push(b!.ms)
      }
    }
    const stopped = timeRun(rdd("stop", "--timeout=5m"), { env, timeoutMs: 330_000 })
    const warm = stopped.code === 0 ? startToDocker(["start"]) : Either.left(`stop: exit ${stopped.code}`)
    const startFigure = (spec: typeof Specs.cold | typeof Specs.warm, r: typeof cold) =>
      Either.isLeft(r)
        ? unavailable(spec, r.left, "error")
        : measured({ ...spec, value: r.right.s, note: `docker ${r.right.version}; the set itself ${r.right.setS.toFixed(1)} s`, detail: { ...r.right } })
    return [
      startFigure(Specs.cold, cold),
      startFigure(Specs.warm, warm),
      psError !== undefined || ps.socket.length === 0
        ? unavailable(Specs.ps, psError ?? "the engine never answered", "error")
        : measured({
          ...Specs.ps,
          value: median(ps.socket),
          baseline: { name: "ssh lima-rd docker ps (control master)", value: median(ps.ssh) },
          ratio: pairedRatio(ps.socket, ps.ssh),
          note: `${ps.socket.length} alternated rounds, each a fresh docker CLI process`,
          detail: { socketMs: ps.socket.map(Math.round), sshMs: ps.ssh.map(Math.round) }
        })
    ]
  }))
