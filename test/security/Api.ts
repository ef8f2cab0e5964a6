/**
 * A real daemon for the security suites, driven the way users drive it: started
 * with `rdd svc start` in a temp HOME under a unique instance, reached over HTTPS
 * with the CA and bearer token from its own `config.yaml`, stopped with
 * `rdd svc stop` (and by pid if that fails). Every token a daemon run wrote is
 * remembered so the suites can prove that no log line ever contains one.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import * as https from "node:https"
import * as path from "node:path"
import * as YAML from "yaml"
import { runRdd, type RunResult, tempHome } from "../support/rdd.js"
import { sweepDaemons } from "./Sweep.js"
import { isAlive } from "../support/process.js"

export interface Kubeconfig {
  readonly server: string
  readonly port: number
  readonly ca: string
  readonly adminToken: string
  readonly userToken: string
}

export interface Response {
  readonly status: number
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  readonly text: string
  /** the body parsed as JSON, when it is JSON */
  readonly json: unknown
}

export interface RequestOptions {
  readonly method?: string
  readonly body?: string | Buffer
  readonly contentType?: string
  /** undefined: the admin token; null: no Authorization header; a string: that whole header */
  readonly authorization?: string | null
  readonly headers?: Readonly<Record<string, string>>
  readonly timeoutMs?: number
  /** send the body with Transfer-Encoding: chunked instead of a Content-Length */
  readonly chunked?: boolean
  /**
   * After writing this many bytes of a big body, block this process for `millis`: a client
   * starved of CPU (a loaded machine), which neither sends nor reads meanwhile.
   */
  readonly starveAfter?: { readonly bytes: number; readonly millis: number }
}

export interface Daemon {
  readonly home: string
  readonly suffix: string
  readonly paths: Readonly<Record<string, string>>
  readonly pid: number
  kubeconfig: Kubeconfig
  readonly rdd: (...args: Array<string>) => Promise<RunResult>
  readonly request: (p: string, o?: RequestOptions) => Promise<Response>
  /** re-reads config.yaml (after a restart) */
  readonly reload: () => Kubeconfig
  readonly stop: () => Promise<void>
}

/** Every token any daemon of this test process wrote (for the log scan). */
export const tokensSeen = new Set<string>()
/** Log lines scanned for tokens so far (reported by the suites, so a scan of nothing is visible). */
export const scanned = { lines: 0, files: 0 }

export const readKubeconfig = (file: string): Kubeconfig => {
  const doc = YAML.parse(readFileSync(file, "utf8")) as {
    clusters: Array<{ cluster: { server: string; "certificate-authority-data": string } }>
    users: Array<{ name: string; user: { token: string } }>
    contexts: Array<{ name: string; context: { user: string } }>
    "current-context": string
  }
  const cluster = doc.clusters[0]!.cluster
  // the current context is the admin's; the other is the non-admin token's
  const token = (context: string | undefined) => {
    const userName = doc.contexts.find((c) => c.name === context)?.context.user
    return doc.users.find((u) => u.name === userName)?.user.token ?? ""
  }
  const k = {
    server: cluster.server,
    port: Number(new URL(cluster.server).port),
    ca: Buffer.from(cluster["certificate-authority-data"], "base64").toString("utf8"),
    adminToken: token(doc["current-context"]),
    userToken: token(doc.contexts.find((c) => c.name !== doc["current-context"])?.name)
  }
  for (const t of [k.adminToken, k.userToken]) if (t !== "") tokensSeen.add(t)
  return k
}

export const request = (k: Kubeconfig, p: string, o: RequestOptions = {}): Promise<Response> =>
  new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: "application/json", ...o.headers }
    if (o.authorization === undefined) headers["Authorization"] = `Bearer ${k.adminToken}`
    else if (o.authorization !== null) headers["Authorization"] = o.authorization
    if (o.body !== undefined) {
      headers["Content-Type"] = o.contentType ?? "application/json"
      if (o.chunked !== true) headers["Content-Length"] = String(Buffer.byteLength(o.body))
    }
    // big bodies wait for "100 Continue", as curl does: a server that refuses them
    // (413) answers first, and no write races its close
    const big = o.body !== undefined && (o.chunked === true || Buffer.byteLength(o.body) > 1024 * 1024)
    if (big) headers["Expect"] = "100-continue"
    let answered = false
    const req = https.request(
      { host: "127.0.0.1", port: k.port, path: p, method: o.method ?? "GET", ca: k.ca, headers, agent: false, servername: "localhost" },
      (res) => {
        answered = true
        const chunks: Array<Buffer> = []
        res.on("data", (c: Buffer) => chunks.push(c))
        res.on("end", () => {
          if (!req.writableFinished) req.destroy()
          const text = Buffer.concat(chunks).toString("utf8")
          let json: unknown = undefined
          try {
            json = JSON.parse(text)
          } catch {
            // not JSON (health endpoints answer text)
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json })
        })
        res.on("error", reject)
      }
    )
    req.setTimeout(o.timeoutMs ?? 20_000, () => req.destroy(new Error(`no answer to ${o.method ?? "GET"} ${p} within ${o.timeoutMs ?? 20_000}ms`)))
    // a server that answers 413 early may close while the body is still being sent
    req.on("error", (e) => {
      if (!answered) reject(e)
    })
    if (big) {
      // in pieces, stopping as soon as the server has answered
      req.once("continue", async () => {
        // a refusal sent right behind the "100 Continue" is parsed before the first write
        await new Promise((r) => setImmediate(r))
        const body = Buffer.from(o.body!)
        let starved = false
        for (let i = 0; i < body.length && !answered && !req.destroyed; i += 64 * 1024) {
          if (o.starveAfter !== undefined && !starved && i >= o.starveAfter.bytes) {
            starved = true
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, o.starveAfter.millis)
          }
          if (!req.write(body.subarray(i, i + 64 * 1024))) {
            await new Promise((r) => {
              req.once("drain", r)
              req.once("close", r)
            })
          }
        }
        if (!answered && !req.destroyed) req.end()
      })
      req.flushHeaders()
    } else {
      req.end(o.body)
    }
  })

/** Starts a daemon in a fresh HOME; `extra` goes to `svc start`, `global` before the subcommand. */
export const startDaemon = async (
  suffix: string,
  options: { readonly extra?: ReadonlyArray<string>; readonly global?: ReadonlyArray<string>; readonly home?: string } = {}
): Promise<Daemon> => {
  const t = options.home === undefined ? tempHome(`rdd-sec-${suffix}-`) : { home: options.home, cleanup: () => {} }
  const env = { RDD_LOG_LEVEL: undefined, RDD_LOG_ROOT: undefined, RDD_KEEP_LOGS: undefined }
  const rdd = (...args: Array<string>) =>
    runRdd([...(options.global ?? []), "--instance", suffix, ...args], { home: t.home, env, timeoutMs: 120_000 })
  const pathsRun = await rdd("svc", "paths", "-o", "json")
  const paths = JSON.parse(pathsRun.stdout) as Record<string, string>
  const started = await rdd("svc", "start", "--timeout=60s", ...(options.extra ?? []))
  if (started.code !== 0) {
    sweepDaemons(t.home)
    throw new Error(`svc start exited ${started.code}:\n${started.stderr}`)
  }
  const pid = Number(readFileSync(paths["pid_file"]!, "utf8").trim())
  const d: Daemon = {
    home: t.home,
    suffix,
    paths,
    pid,
    kubeconfig: readKubeconfig(paths["config"]!),
    rdd,
    request: (p, o) => request(d.kubeconfig, p, o),
    reload: () => (d.kubeconfig = readKubeconfig(paths["config"]!)),
    stop: async () => {
      const r = await rdd("svc", "stop", "--timeout=30s")
      const swept = sweepDaemons(t.home)
      if (isAlive(pid)) process.kill(pid, "SIGKILL")
      // the logs go with the HOME: scan them for tokens first
      const leaks = tokenLeaks([paths["log_dir"]!])
      t.cleanup()
      if (leaks.length > 0) throw new Error(`a token appears in the daemon's logs:\n${leaks.join("\n")}`)
      if (r.code !== 0 || swept.length > 0) throw new Error(`svc stop exited ${r.code} (swept ${swept.join(",")}):\n${r.stderr}`)
    }
  }
  return d
}

/** Every line of every rdd log file in the given directories. */
export const logLines = (dirs: Iterable<string>): ReadonlyArray<{ readonly file: string; readonly line: string }> => {
  const out: Array<{ file: string; line: string }> = []
  for (const dir of dirs) {
    if (!existsSync(dir)) continue
    for (const f of readdirSync(dir)) {
      if (!/^rdd\..*log$/.test(f)) continue
      const file = path.join(dir, f)
      for (const line of readFileSync(file, "utf8").split("\n")) if (line !== "") out.push({ file, line })
    }
  }
  return out
}

/** `file: line` for every log line that contains a token any daemon of this process wrote. */
export const tokenLeaks = (dirs: Iterable<string>): ReadonlyArray<string> => {
  const lines = logLines(dirs)
  scanned.lines += lines.length
  scanned.files += new Set(lines.map((l) => l.file)).size
  return lines.filter((l) => [...tokensSeen].some((t) => l.line.includes(t))).map((l) => `${l.file}: ${l.line}`)
}
