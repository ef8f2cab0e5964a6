/**
 * Test helper: a real `rdd svc serve` daemon in a temporary HOME with a unique
 * instance suffix, waited for until ready, and stopped by pid.
 *
 * ```ts
 * const d = await startDaemon()                // bin/rdd.mjs must be built (npm run build)
 * const r = await d.request("GET", "/api/v1/namespaces")   // admin token, the daemon's CA
 * const k = await d.kubectl(["get", "ns"])     // real kubectl, own --cache-dir
 * await d.stop()                               // SIGINT, then SIGKILL after the bound; returns the exit code
 * ```
 * Options: `suffix`, `args` (extra serve flags), `env`, `home` (reuse a HOME, e.g. to
 * restart on the same store), `readyTimeoutMs` (default 20s). `startDaemon` fails
 * fast with the daemon's stderr when it exits during startup. Call `stop()` in
 * afterEach/afterAll; `stopAll()` stops every daemon this module started and
 * removes the temporary HOMEs it created.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as https from "node:https"
import * as os from "node:os"
import * as path from "node:path"
import { parse as parseYaml } from "yaml"

const root = path.resolve(import.meta.dirname, "../..")
const bin = path.join(root, "bin", "rdd.mjs")

export interface Response {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly text: string
  /** JSON.parse(text), or undefined when the body is not JSON */
  readonly body: any // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience
}

export interface RequestOptions {
  readonly headers?: Record<string, string>
  /** default: the admin token; null: no Authorization header */
  readonly token?: string | null
}

export interface TestDaemon {
  readonly home: string
  readonly suffix: string
  readonly pid: number
  readonly port: number
  readonly dir: string
  readonly kubeconfig: string
  readonly stderrFile: string
  readonly adminToken: string
  readonly userToken: string
  readonly ca: string
  readonly child: ChildProcess
  readonly request: (method: string, path: string, body?: unknown, options?: RequestOptions) => Promise<Response>
  readonly kubectl: (args: ReadonlyArray<string>, input?: string) => Promise<{ code: number; stdout: string; stderr: string }>
  readonly stop: (signal?: NodeJS.Signals, timeoutMs?: number) => Promise<number | null>
  readonly exited: Promise<number | null>
}

export interface StartOptions {
  readonly suffix?: string
  readonly args?: ReadonlyArray<string>
  readonly env?: Record<string, string>
  readonly home?: string
  readonly readyTimeoutMs?: number
}

const running = new Set<TestDaemon>()
/** temporary HOMEs this module created: removed by stopAll */
const createdHomes = new Set<string>()
let counter = 0

export const uniqueSuffix = (): string =>
  `t${process.pid.toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`

export const dirOf = (home: string, suffix: string) => path.join(home, ".local", "share", `rancher-desktop-${suffix}`)

/** One HTTPS request with the given CA and token. */
export const httpsRequest = (
  port: number,
  ca: string,
  method: string,
  urlPath: string,
  body: unknown,
  headers: Record<string, string>
): Promise<Response> =>
  new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body)
    const req = https.request({ host: "127.0.0.1", port, method, path: urlPath, ca, headers: {
      ...(data === undefined ? {} : { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(data)) }),
      ...headers
    } }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        let parsed: unknown
        try {
          parsed = JSON.parse(text)
        } catch {
          parsed = undefined
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed })
      })
      res.on("error", reject)
    })
    req.on("error", reject)
    req.setTimeout(30_000, () => req.destroy(new Error(`request ${method} ${urlPath} timed out`)))
    if (data !== undefined) req.write(data)
    req.end()
  })

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const tail = (file: string, lines = 20): string => {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n")
  } catch {
    return "(no log)"
  }
}

export const startDaemon = async (options: StartOptions = {}): Promise<TestDaemon> => {
  try {
    return await startOnce(options)
  } catch (e) {
    // A concurrent `npm run build` (an old build under bin/builds/ is pruned) can make the spawn miss the bundle: retry once.
    if (e instanceof Error && e.message.includes("ERR_MODULE_NOT_FOUND")) {
      await sleep(2_000)
      return startOnce(options)
    }
    throw e
  }
}

const startOnce = async (options: StartOptions): Promise<TestDaemon> => {
  const suffix = options.suffix ?? uniqueSuffix()
  const home = options.home ?? fs.mkdtempSync(path.join(os.tmpdir(), "rdd-test-"))
  if (options.home === undefined) createdHomes.add(home)
  const dir = dirOf(home, suffix)
  const logDir = path.join(home, "logs")
  fs.mkdirSync(logDir, { recursive: true })
  const stderrFile = path.join(logDir, `${suffix}.stderr.log`)
  const err = fs.openSync(stderrFile, "a")
  const child = spawn(process.execPath, [bin, "--instance", suffix, "svc", "serve", ...(options.args ?? [])], {
    env: { ...process.env, HOME: home, RDD_LOG_ROOT: logDir, ...options.env },
    stdio: ["ignore", err, err]
  })
  fs.closeSync(err)
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  let exitCode: number | null | undefined
  void exited.then((c) => (exitCode = c))
  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000)
  const kubeconfig = path.join(dir, "config.yaml")
  for (;;) {
    if (exitCode !== undefined) {
      throw new Error(`daemon exited with ${exitCode} during startup:\n${tail(stderrFile)}`)
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL")
      throw new Error(`daemon not ready within ${options.readyTimeoutMs ?? 20_000}ms:\n${tail(stderrFile)}`)
    }
    const ready = await probe(dir, child.pid!).catch(() => undefined)
    if (ready !== undefined) {
      const d: TestDaemon = {
        home,
        suffix,
        pid: child.pid!,
        port: ready.port,
        dir,
        kubeconfig,
        stderrFile,
        adminToken: ready.admin,
        userToken: ready.user,
        ca: ready.ca,
        child,
        exited,
        request: (method, p, body, o = {}) =>
          httpsRequest(ready.port, ready.ca, method, p, body, {
            ...(o.token === null ? {} : { Authorization: `Bearer ${o.token ?? ready.admin}` }),
            ...o.headers
          }),
        kubectl: (args, input) => kubectl(kubeconfig, path.join(home, "kube-cache"), args, input),
        stop: async (signal = "SIGINT", timeoutMs = 15_000) => {
          running.delete(d)
          if (exitCode !== undefined) return exitCode
          child.kill(signal)
          const code = await Promise.race([exited, sleep(timeoutMs).then(() => "timeout" as const)])
          if (code !== "timeout") return code
          child.kill("SIGKILL")
          await exited
          throw new Error(`daemon ${child.pid} did not stop within ${timeoutMs}ms after ${signal}:\n${tail(stderrFile)}`)
        }
      }
      running.add(d)
      return d
    }
    await sleep(50)
  }
}

/** Ready = kubeconfig written, /readyz 200, discovery ConfigMap of this run annotated ready. */
const probe = async (dir: string, pid: number) => {
  const record = JSON.parse(fs.readFileSync(path.join(dir, "rdd.run.json"), "utf8")) as { pid: number; startId: string; port?: number }
  if (record.pid !== pid || record.port === undefined) return undefined
  const config = parseYaml(fs.readFileSync(path.join(dir, "config.yaml"), "utf8")) as {
    clusters: Array<{ cluster: { server: string; "certificate-authority-data": string } }>
    users: Array<{ name: string; user: { token: string } }>
    contexts: Array<{ name: string; context: { user: string } }>
    "current-context": string
  }
  const cluster = config.clusters[0]!.cluster
  const port = Number(new URL(cluster.server).port)
  if (port !== record.port) return undefined
  const ca = Buffer.from(cluster["certificate-authority-data"], "base64").toString("utf8")
  // the current context is the admin's; the other is the non-admin token's
  const tokenOf = (context: string) => {
    const userName = config.contexts.find((c) => c.name === context)!.context.user
    return config.users.find((u) => u.name === userName)!.user.token
  }
  const admin = tokenOf(config["current-context"])
  const user = tokenOf(config.contexts.find((c) => c.name !== config["current-context"])!.name)
  const readyz = await httpsRequest(port, ca, "GET", "/readyz", undefined, {})
  if (readyz.status !== 200) return undefined
  const cm = await httpsRequest(port, ca, "GET", "/api/v1/namespaces/rdd-system/configmaps/rdd-controller-manager", undefined, {
    Authorization: `Bearer ${admin}`
  })
  if (cm.status !== 200) return undefined
  const embedded = JSON.parse(cm.body?.data?.embedded ?? "{}") as { startId?: string }
  if (embedded.startId !== record.startId || cm.body?.metadata?.annotations?.["rdd.rancherdesktop.io/ready"] !== "true") return undefined
  return { port, ca, admin, user }
}

/** The real kubectl with this daemon's kubeconfig and an isolated discovery cache. */
export const kubectl = (kubeconfig: string, cacheDir: string, args: ReadonlyArray<string>, input?: string) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const p = execFile("kubectl", ["--kubeconfig", kubeconfig, "--cache-dir", cacheDir, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : 1
      resolve({ code, stdout, stderr })
    })
    if (input !== undefined) {
      p.stdin?.write(input)
    }
    p.stdin?.end()
  })

/** Stops every daemon started by this module that is still running, then removes the temporary HOMEs it created (for afterAll). */
export const stopAll = async (): Promise<void> => {
  await Promise.all([...running].map((d) => d.stop().catch(() => undefined)))
  if (running.size > 0) return // something would not stop: keep its files for the post-mortem
  for (const home of createdHomes) fs.rmSync(home, { recursive: true, force: true })
  createdHomes.clear()
}
