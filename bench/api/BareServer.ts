/**
 * Starts the request-overhead baseline (bare-server.ts) and the API's floor
 * (floor-server.ts), each as its own process with the daemon's TLS material, waits for the port it prints, and stops it
 * by pid when the scope closes. Its client shares the daemon's CA, token and
 * keep-alive settings, so both sides of a ratio pay the same client costs.
 */
import { spawn } from "node:child_process"
import { readdirSync } from "node:fs"
import * as path from "node:path"
import { Effect, Either, type Scope } from "effect"
import { type Client, type Endpoint, makeClient } from "./Client.js"
import { ownPid, repoRoot } from "../Proc.js"

export interface BareServer {
  readonly pid: number
  /** the daemon's endpoint (CA, token) with this server's port: for extra sockets such as watches */
  readonly endpoint: Endpoint
  readonly client: Client
}

export interface TlsFiles {
  readonly key: string
  readonly cert: string
}

export const startBareServer = (
  daemon: Endpoint,
  tls: TlsFiles,
  fixedBytes: number
): Effect.Effect<BareServer, Error, Scope.Scope> =>
  startTlsServer("bare https server", "bare-server.ts", daemon, {
    BARE_KEY: tls.key,
    BARE_CERT: tls.cert,
    BARE_FIXED_BYTES: String(fixedBytes)
  })

/**
 * Starts the API's floor (floor-server.ts): the same TLS material, a SQLite
 * file `db` with the store's `synchronous` mode, the same client settings.
 */
export const startFloorServer = (
  daemon: Endpoint,
  tls: TlsFiles,
  db: string,
  synchronous: string
): Effect.Effect<BareServer, Error, Scope.Scope> =>
  startTlsServer("floor server", "floor-server.ts", daemon, {
    FLOOR_KEY: tls.key,
    FLOOR_CERT: tls.cert,
    FLOOR_DB: db,
    FLOOR_SYNCHRONOUS: synchronous
  })

/** Spawns one of the bench's HTTPS servers, waits for the port it prints and gives a client like the daemon's. */
const startTlsServer = (
  what: string,
  script: string,
  daemon: Endpoint,
  env: Readonly<Record<string, string>>
): Effect.Effect<BareServer, Error, Scope.Scope> =>
  Effect.gen(function*() {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "bench", "api", script)], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    if (child.pid === undefined) return yield* Effect.fail(new Error(`could not spawn the ${what}`))
    yield* ownPid(child.pid, 5_000)
    const port = yield* Effect.async<number, Error>((resume) => {
      let out = ""
      let err = ""
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString()
        const nl = out.indexOf("\n")
        if (nl >= 0) resume(Effect.succeed((JSON.parse(out.slice(0, nl)) as { port: number }).port))
      })
      child.stderr.on("data", (d: Buffer) => (err += d.toString()))
      child.once("exit", (code) => resume(Effect.fail(new Error(`the ${what} exited (${code}): ${err.trim().slice(-300)}`))))
    }).pipe(Effect.timeoutFail({ duration: "30 seconds", onTimeout: () => new Error(`the ${what} did not listen within 30 s`) }))
    const endpoint = { ...daemon, port }
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => makeClient(endpoint)),
      (c) => Effect.sync(() => c.close())
    )
    return { pid: child.pid, endpoint, client }
  })

/**
 * The daemon's serving key and certificate (for the bare server's TLS):
 * apiserver.key/.crt as src/controlplane/Tls.ts writes them, else any key and
 * certificate in tls_dir that are not the CA's.
 */
export const findServingTls = (tlsDir: string): Either.Either<TlsFiles, string> => {
  const names = readdirSync(tlsDir)
  if (names.includes("apiserver.key") && names.includes("apiserver.crt")) {
    return Either.right({ key: path.join(tlsDir, "apiserver.key"), cert: path.join(tlsDir, "apiserver.crt") })
  }
  const files = names.map((f) => path.join(tlsDir, f))
  const named = (re: RegExp) => files.filter((f) => re.test(path.basename(f)) && !/ca/i.test(path.basename(f)))
  const key = named(/key/i)[0]
  const cert = named(/(crt|cert)/i).find((f) => !/key/i.test(path.basename(f)))
  return key !== undefined && cert !== undefined
    ? Either.right({ key, cert })
    : Either.left(`no serving key/cert found in ${tlsDir} (${files.map((f) => path.basename(f)).join(", ")})`)
}
