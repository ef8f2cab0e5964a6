/**
 * The App's container engine with a REAL engine guest (`scripts/test-image.sh
 * --cloud --engine`: Debian with docker.io, containerd and apparmor; .ci/run
 * builds it before the suites), through the built CLI and daemon, one boot per
 * engine: `rdd set running=true containerEngine.name=moby` returns only with
 * ContainerEngineReady=True; the host's `docker` talks to the guest's dockerd
 * through the instance's context and forwarded socket; an image made from
 * busybox-static without a registry runs; switching to containerd restarts the
 * VM and the condition comes back True; stop removes the socket; deleting the
 * App removes the context and leaves the user's Docker config alone. Then, with
 * the tiny SSH guest (no engine), `rdd set` ends with exit 4 naming the condition.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { processesOf } from "../support/guests.js"
import { isAlive } from "../support/process.js"
import { runRdd, type RunResult } from "../support/rdd.js"

const repo = path.resolve(import.meta.dirname, "../..")

const instance = (prefix: string, template: () => string) => {
  const suffix = `${prefix}${process.pid % 100000}`
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `rdd-engine-e2e-${prefix}-`))
  const rdd = (args: ReadonlyArray<string>, timeoutMs = 120_000) =>
    runRdd(args, { home, env: { RDD_INSTANCE: suffix, RDD_LOG_LEVEL: "info", RDD_APP_TEMPLATE: template() }, timeoutMs })
  const cleanup = async () => {
    const pidFile = path.join(home, ".local", "share", `rancher-desktop-${suffix}`, "rdd.pid")
    const daemon = Number(fs.existsSync(pidFile) ? fs.readFileSync(pidFile, "utf8") : "0")
    if (daemon > 0 && isAlive(daemon)) await rdd(["svc", "stop", "--timeout=90s"], 100_000)
    if (daemon > 0 && isAlive(daemon)) process.kill(daemon, "SIGKILL")
    for (const pid of processesOf(home, /qemu-system|^ssh\0|^sh\0-c\0/)) process.kill(pid, "SIGKILL")
    fs.rmSync(home, { recursive: true, force: true })
  }
  return { suffix, home, rdd, cleanup, context: `rancher-desktop-${suffix}` }
}

const figure = (step: string, r: RunResult) => console.log(JSON.stringify({ figure: `app.engine.${step}`, ms: r.ms, exit: r.code }))

const condition = async (rdd: ReturnType<typeof instance>["rdd"], type: string) => {
  const r = await rdd(["ctl", "get", "app", "app", "-o", "json"])
  assert.strictEqual(r.code, 0, r.stderr)
  const app = JSON.parse(r.stdout) as { status?: { conditions?: Array<Record<string, unknown>> } }
  return app.status?.conditions?.find((c) => c["type"] === type)
}

let engineTemplate = ""
let tinyTemplate = ""
const moby = instance("en", () => engineTemplate)
const dockerConfig = '{"auths":{},"currentContext":"default"}\n'
const bbTar = path.join(moby.home, "bb.tar")

beforeAll(() => {
  execFileSync("node", ["scripts/build.mjs"], { cwd: repo, stdio: "ignore" })
  engineTemplate = execFileSync("bash", [path.join(repo, "scripts/test-image.sh"), "--cloud", "--engine"], { encoding: "utf8", timeout: 1_500_000 }).trim()
  tinyTemplate = execFileSync("bash", [path.join(repo, "scripts/test-image.sh"), "--tiny-ssh"], { encoding: "utf8", timeout: 600_000 }).trim()
  // the user's own Docker config, which nothing of rdd may change
  fs.mkdirSync(path.join(moby.home, ".docker"), { recursive: true })
  fs.writeFileSync(path.join(moby.home, ".docker", "config.json"), dockerConfig)
  // a tiny image without a registry: a static busybox (Debian's busybox-static) as the rootfs
  const rootfs = path.join(moby.home, "bb")
  fs.mkdirSync(path.join(rootfs, "bin"), { recursive: true })
  fs.copyFileSync("/usr/bin/busybox", path.join(rootfs, "bin", "busybox"))
  fs.chmodSync(path.join(rootfs, "bin", "busybox"), 0o755)
  for (const applet of ["sh", "echo"]) fs.symlinkSync("busybox", path.join(rootfs, "bin", applet))
  execFileSync("tar", ["-C", rootfs, "-cf", bbTar, "."])
}, 1_560_000)

afterAll(() => moby.cleanup(), 150_000)

const docker = (args: ReadonlyArray<string>) =>
  spawnSync("docker", args, { env: { ...process.env, HOME: moby.home, DOCKER_HOST: "" }, encoding: "utf8", timeout: 120_000 })

describe.sequential("the App's container engine in a real guest", () => {
  it("rdd set running=true containerEngine.name=moby returns once ContainerEngineReady=True", async () => {
    const r = await moby.rdd(["set", "running=true", "containerEngine.name=moby", "--timeout=15m"], 960_000)
    figure("set-running-moby", r)
    assert.strictEqual(r.code, 0, r.stderr)
    const c = await condition(moby.rdd, "ContainerEngineReady")
    assert.strictEqual(c?.["status"], "True", JSON.stringify(c))
    assert.strictEqual(c?.["reason"], "Ready")
    assert.match(String(c?.["message"]), /^dockerd \(moby\) 20\.10/)
  }, 1_000_000)

  it("the docker socket is the instance's docker_socket (0600); docker --context reports the guest's engine", async () => {
    const paths = await moby.rdd(["svc", "paths", "docker_socket"])
    const socket = paths.stdout.trim()
    assert.strictEqual(socket, path.join(moby.home, `.rd${moby.suffix}`, "docker.sock"))
    const st = fs.statSync(socket)
    assert.isTrue(st.isSocket())
    assert.strictEqual(st.mode & 0o777, 0o600)
    const v = docker(["--context", moby.context, "version", "--format", "{{.Server.Version}} {{.Server.Os}}"])
    assert.strictEqual(v.status, 0, v.stderr)
    assert.match(v.stdout.trim(), /^20\.10\.\S+ linux$/)
  }, 180_000)

  it("rdd run docker import of a busybox rootfs, then docker run prints hi; run passes the exit status and env", async () => {
    const imported = await moby.rdd(["run", "docker", "import", bbTar, "bb"], 300_000)
    assert.strictEqual(imported.code, 0, imported.stderr)
    const ran = await moby.rdd(["run", "docker", "run", "--rm", "bb", "echo", "hi"], 300_000)
    figure("docker-run", ran)
    assert.strictEqual(ran.code, 0, ran.stderr)
    assert.strictEqual(ran.stdout.trim(), "hi")
    const env = await moby.rdd(["run", "sh", "-c", "echo $KUBECONFIG $DOCKER_CONTEXT ${DOCKER_HOST:-unset}; exit 7"])
    assert.strictEqual(env.code, 7, env.stderr)
    assert.strictEqual(env.stdout.trim(), `${path.join(moby.home, `.rd${moby.suffix}`, "kube.config")} ${moby.context} unset`)
  }, 700_000)

  it("rdd set containerEngine.name=containerd restarts the VM; ContainerEngineReady comes back True with containerd", async () => {
    const r = await moby.rdd(["set", "containerEngine.name=containerd", "--timeout=15m"], 960_000)
    figure("switch-containerd", r)
    assert.strictEqual(r.code, 0, r.stderr)
    const c = await condition(moby.rdd, "ContainerEngineReady")
    assert.strictEqual(c?.["status"], "True", JSON.stringify(c))
    assert.match(String(c?.["message"]), /^containerd 1\.6/)
    const vm = await moby.rdd(["ctl", "get", "limavm", "rd", "-o", "jsonpath={.status.restartCount}"])
    assert.isAtLeast(Number(vm.stdout), 1, vm.stderr)
  }, 1_000_000)

  it("rdd stop removes the host socket; deleting the App removes the context, the user's config untouched", async () => {
    const back = await moby.rdd(["set", "containerEngine.name=moby", "--wait=false"])
    assert.strictEqual(back.code, 0, back.stderr)
    const stopped = await moby.rdd(["stop", "--timeout=5m"], 360_000)
    assert.strictEqual(stopped.code, 0, stopped.stderr)
    assert.isFalse(fs.existsSync(path.join(moby.home, `.rd${moby.suffix}`, "docker.sock")))
    const listed = docker(["context", "ls", "--format", "{{.Name}}"])
    assert.include(listed.stdout.split("\n"), moby.context, listed.stderr)
    const deleted = await moby.rdd(["ctl", "delete", "app", "app", "--timeout=5m"], 360_000)
    assert.strictEqual(deleted.code, 0, deleted.stderr)
    const after = docker(["context", "ls", "--format", "{{.Name}}"])
    assert.notInclude(after.stdout.split("\n"), moby.context)
    assert.strictEqual(fs.readFileSync(path.join(moby.home, ".docker", "config.json"), "utf8"), dockerConfig)
  }, 800_000)
})

describe.sequential("an engine that never answers (the tiny SSH guest has none)", () => {
  const tiny = instance("et", () => tinyTemplate)
  afterAll(() => tiny.cleanup(), 150_000)
  it("rdd set running=true --timeout ends with exit 4 naming ContainerEngineReady", async () => {
    const r = await tiny.rdd(["set", "running=true", "--timeout=60s"], 180_000)
    assert.strictEqual(r.code, 4, r.stderr)
    assert.include(r.stderr, "ContainerEngineReady=False")
    const c = await condition(tiny.rdd, "ContainerEngineReady")
    assert.strictEqual(c?.["reason"], "Starting", JSON.stringify(c))
  }, 240_000)
})
