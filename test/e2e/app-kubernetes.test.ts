/**
 * Kubernetes in the App, as far as it can run here (k3s itself cannot be fetched
 * on these machines): the tiny SSH guest, booted by the real daemon, runs the
 * App template's real k3s provision script. First the download fails (the base
 * template's K3S_URL points at the test's HTTP server; busybox wget in this
 * guest fails on any URL): rdd set ends at once with exit 1 and InstallFailed.
 * Then a boot script of the template puts a test-only "k3s" in place as an
 * earlier install would have left it (same tag and sha256, so the provision
 * script skips the download and starts it). That stand-in writes
 * /etc/rancher/k3s/k3s.yaml as k3s would, with the rdd API server's own CA and
 * token as the credentials, and relays the guest's port 6443 to the rdd API
 * server on the host (busybox nc), so the kube context the controller merges
 * reaches a real Kubernetes-compatible API through the forwarded
 * kubernetesPort: KubernetesReady=True, the context in ~/.kube/config next to
 * the user's own (still current), real kubectl through it; deleting the App
 * takes the context away again.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFileSync, spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { parse, stringify } from "yaml"
import { processesOf, retrying } from "../support/guests.js"
import { isAlive } from "../support/process.js"
import { runRdd } from "../support/rdd.js"

const repo = path.resolve(import.meta.dirname, "../..")
const suffix = `k8${process.pid % 100000}`
const context = `rancher-desktop-${suffix}`
const home = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-k8s-e2e-"))
const serviceDir = path.join(home, ".local", "share", context)
const templateFile = path.join(home, "k3s-guest.yaml")
const userConfig = path.join(home, ".kube", "config")
const rdd = (args: ReadonlyArray<string>, timeoutMs = 120_000) =>
  runRdd(args, { home, env: { RDD_INSTANCE: suffix, RDD_LOG_LEVEL: "info", RDD_APP_TEMPLATE: templateFile }, timeoutMs })

/** What the test's HTTP server answers for /k3s: 404 until `serve` holds the stand-in. */
let served: string | undefined
const server = http.createServer((req, res) => {
  if (req.url === "/k3s" && served !== undefined) res.end(served)
  else res.writeHead(404).end("not here\n")
})

const condition = async (type: string) => {
  const r = await rdd(["ctl", "get", "app", "app", "-o", "json"])
  assert.strictEqual(r.code, 0, r.stderr)
  const app = JSON.parse(r.stdout) as { status?: { conditions?: Array<Record<string, unknown>> } }
  return app.status?.conditions?.find((c) => c["type"] === type)
}

interface Named {
  readonly name: string
  readonly [k: string]: unknown
}
const readConfig = (file: string) => parse(fs.readFileSync(file, "utf8")) as Record<string, unknown> & { contexts: Array<Named>; clusters: Array<Named>; users: Array<Named> }

let standIn = ""
let sha = ""
let base: Record<string, unknown> = {}

beforeAll(async () => {
  execFileSync("node", ["scripts/build.mjs"], { cwd: repo, stdio: "ignore" })
  const tiny = execFileSync("bash", [path.join(repo, "scripts/test-image.sh"), "--tiny-ssh"], { encoding: "utf8", timeout: 600_000 }).trim()
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  const httpPort = (server.address() as AddressInfo).port
  // the control plane first (no engine controller: the tiny guest has no engine, and Settled would wait for it)
  const up = await rdd(["svc", "start", "--controllers=app,limavm,kubernetes"], 120_000)
  assert.strictEqual(up.code, 0, up.stderr)
  const admin = readConfig(path.join(serviceDir, "config.yaml"))
  const ctx = admin.contexts.find((c) => c.name === admin["current-context"])!["context"] as { cluster: string; user: string }
  const cluster = admin.clusters.find((c) => c.name === ctx.cluster)!["cluster"] as { server: string; "certificate-authority-data": string }
  const user = admin.users.find((u) => u.name === ctx.user)!["user"] as { token: string }
  const apiPort = new URL(cluster.server).port
  // k3s's kubeconfig as k3s writes it (server on the guest's 6443), the rdd API's credentials
  const k3sYaml = stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "default", cluster: { "certificate-authority-data": cluster["certificate-authority-data"], server: "https://127.0.0.1:6443" } }],
    users: [{ name: "default", user: { token: user.token } }],
    contexts: [{ name: "default", context: { cluster: "default", user: "default" } }],
    "current-context": "default"
  })
  standIn = `#!/bin/sh
# test-only stand-in for k3s: its kubeconfig, and the guest's 6443 relayed to the rdd API on the host
cat >/etc/rancher/k3s/k3s.yaml <<'YAML'
${k3sYaml}YAML
chmod 0644 /etc/rancher/k3s/k3s.yaml
printf '#!/bin/sh\\nexec nc 192.168.5.2 ${apiPort}\\n' >/usr/local/bin/k3s-relay
chmod 0755 /usr/local/bin/k3s-relay
exec nc -ll -p 6443 -e /usr/local/bin/k3s-relay
`
  sha = createHash("sha256").update(standIn).digest("hex")
  base = parse(fs.readFileSync(tiny, "utf8")) as Record<string, unknown>
  base["param"] = { K3S_URL: `http://192.168.5.2:${httpPort}/k3s`, K3S_SHA256: sha }
  fs.writeFileSync(templateFile, stringify(base))
  // the user's own context, whose server answers: it must stay current
  fs.mkdirSync(path.dirname(userConfig), { recursive: true })
  // (its own names: the control plane's config.yaml names its entries rancher-desktop-<suffix> too)
  fs.writeFileSync(userConfig, stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "mine", cluster }],
    users: [{ name: "mine", user }],
    contexts: [{ name: "mine", context: { cluster: "mine", user: "mine" } }],
    "current-context": "mine"
  }))
}, 720_000)

afterAll(async () => {
  const pidFile = path.join(serviceDir, "rdd.pid")
  const daemon = Number(fs.existsSync(pidFile) ? fs.readFileSync(pidFile, "utf8") : "0")
  if (daemon > 0 && isAlive(daemon)) await rdd(["svc", "stop", "--timeout=90s"], 100_000)
  if (daemon > 0 && isAlive(daemon)) process.kill(daemon, "SIGKILL")
  for (const pid of processesOf(home, /qemu-system|^ssh\0|^sh\0-c\0/)) process.kill(pid, "SIGKILL")
  await new Promise<void>((r) => server.close(() => r()))
  fs.rmSync(home, { recursive: true, force: true })
}, 150_000)

describe.sequential("Kubernetes in the App with the tiny SSH guest and a stand-in k3s", () => {
  it("a k3s download that fails ends rdd set at once: exit 1, KubernetesReady=False/InstallFailed with the guest's reason", async () => {
    const r = await rdd(["set", "running=true", "kubernetes.enabled=true", "kubernetes.version=1.34.6", "--timeout=5m"], 330_000)
    console.log(JSON.stringify({ figure: "app.kubernetes.install-failed", ms: r.ms, exit: r.code }))
    assert.strictEqual(r.code, 1, r.stderr)
    assert.match(r.stderr, /InstallFailed|k3s v1\.34\.6\+k3s1: download of http:\/\/192\.168\.5\.2:\d+\/k3s failed/)
    const c = await condition("KubernetesReady")
    assert.strictEqual(c?.["reason"], "InstallFailed", JSON.stringify(c))
    // busybox wget of this guest dies on any URL (exit 139, "Segmentation fault"): whatever the cause, it is reported
    assert.match(String(c?.["message"]), /^k3s v1\.34\.6\+k3s1: download of http:\/\/192\.168\.5\.2:\d+\/k3s failed \(exit \d+\): \S/)
    assert.deepStrictEqual(readConfig(userConfig).contexts.map((x) => x.name), ["mine"])
  }, 360_000)

  it("with k3s in place: KubernetesReady=True, the context merged next to the user's (still current), kubectl through the guest", async () => {
    served = standIn
    // what an earlier successful install leaves: the binary and its record (the guest's root is a fresh initramfs each boot)
    const preinstall = `mkdir -p /usr/local/bin /var/lib/rdd/k3s
cat >/usr/local/bin/k3s <<'STANDIN'
${standIn}STANDIN
chmod 0755 /usr/local/bin/k3s
echo "v1.34.6+k3s1 ${sha}" >/var/lib/rdd/k3s/installed
`
    fs.writeFileSync(templateFile, stringify({ ...base, provision: [{ mode: "boot", script: preinstall }] }))
    const down = await rdd(["stop", "--timeout=3m"], 200_000)
    assert.strictEqual(down.code, 0, down.stderr)
    const r = await rdd(["set", "running=true", "--timeout=5m"], 330_000)
    console.log(JSON.stringify({ figure: "app.kubernetes.ready", ms: r.ms, exit: r.code }))
    assert.strictEqual(r.code, 0, r.stderr)
    const c = await condition("KubernetesReady")
    assert.strictEqual(c?.["reason"], "Ready", JSON.stringify(c))
    const user = readConfig(userConfig)
    assert.strictEqual(user["current-context"], "mine")
    assert.deepStrictEqual(user.contexts.map((x) => x.name), ["mine", context])
    const server = (user.clusters.find((x) => x.name === context)!["cluster"] as { server: string }).server
    const kubernetesPort = Number(new URL(server).port)
    assert.notStrictEqual(kubernetesPort, 6443)
    const standalone = readConfig(path.join(home, `.rd${suffix}`, "kube.config"))
    assert.strictEqual(standalone["current-context"], context)
    assert.isTrue(fs.existsSync(path.join(serviceDir, "k3s.yaml")))
    // a real client through the context: 127.0.0.1:kubernetesPort → ssh forward → guest 6443 → nc → the rdd API
    const k = spawnSync("kubectl", ["--kubeconfig", userConfig, "--context", context, "get", "namespace", "rdd-system", "-o", "name"], { encoding: "utf8", timeout: 60_000 })
    assert.strictEqual(k.status, 0, k.stderr)
    assert.strictEqual(k.stdout.trim(), "namespace/rdd-system")
  }, 560_000)

  it("deleting the App removes the context and the files, and leaves the user's alone", async () => {
    const r = await rdd(["ctl", "delete", "app", "app", "--timeout=3m"], 200_000)
    assert.strictEqual(r.code, 0, r.stderr)
    // the controller sees the App go on its next pass: wait (bounded) for the files, then look at everything
    await retrying(async () => {
      if (fs.existsSync(path.join(serviceDir, "k3s.yaml"))) throw new Error("k3s.yaml still there")
    }, 60_000)
    const user = readConfig(userConfig)
    assert.deepStrictEqual(user.contexts.map((x) => x.name), ["mine"])
    assert.strictEqual(user["current-context"], "mine")
    assert.isFalse(fs.existsSync(path.join(home, `.rd${suffix}`, "kube.config")))
    assert.isFalse(fs.existsSync(path.join(serviceDir, "k3s.yaml")))
  }, 240_000)
})
