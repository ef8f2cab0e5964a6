/**
 * The per-instance SSH key pair (Lima keeps one per instance; rdd keeps it in the
 * instance directory so `delete` removes it) and the user's own public keys, which Lima
 * also authorises in the guest (loadDotSSHPubKeys). The pair is generated under a
 * temporary name and renamed public-first, so the private key's presence means the
 * pair is complete; partial states left by a crash or by hand are repaired.
 */
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { exec, lastLines } from "./Exec.js"
import { SshError } from "./Ssh.js"

export interface KeyPair {
  readonly privateKeyPath: string
  /** one line, `ssh-ed25519 AAAA... lima` */
  readonly publicKey: string
}

export const KeyName = "id_ed25519"
const KeygenTimeoutMillis = 30_000

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e))

const io = <A>(what: string, f: () => A): Effect.Effect<A, SshError> =>
  Effect.try({ try: f, catch: (e) => new SshError({ reason: "io", message: `${what}: ${errorText(e)}` }) })

const readIfExists = (p: string): string | undefined => {
  try {
    return fs.readFileSync(p, "utf8")
  } catch {
    return undefined
  }
}

const keygen = (args: ReadonlyArray<string>): Effect.Effect<string, SshError> =>
  exec("ssh-keygen", args, { timeoutMillis: KeygenTimeoutMillis }).pipe(
    Effect.mapError((e) =>
      new SshError({ reason: e.reason, message: e.reason === "missing" ? "ssh-keygen is not installed (Debian package openssh-client)" : e.message })),
    Effect.flatMap((r) =>
      r.exitCode === 0
        ? Effect.succeed(r.stdout)
        : Effect.fail(new SshError({ reason: "failed", message: `ssh-keygen ${args[0]} failed (exit ${r.exitCode ?? "by signal"}): ${lastLines(r.stderr) || "no output"}` })))
  )

const generate = (privateKeyPath: string): Effect.Effect<string, SshError> =>
  Effect.gen(function*() {
    const tmp = `${privateKeyPath}.tmp-${process.pid}`
    yield* io("removing an old temporary key", () => {
      fs.rmSync(tmp, { force: true })
      fs.rmSync(`${tmp}.pub`, { force: true })
    })
    yield* keygen(["-q", "-t", "ed25519", "-N", "", "-C", "lima", "-f", tmp]).pipe(
      Effect.onError(() => Effect.sync(() => {
        fs.rmSync(tmp, { force: true })
        fs.rmSync(`${tmp}.pub`, { force: true })
      }))
    )
    return yield* io(`installing the key pair at ${privateKeyPath}`, () => {
      const publicKey = fs.readFileSync(`${tmp}.pub`, "utf8").trim()
      fs.renameSync(`${tmp}.pub`, `${privateKeyPath}.pub`)
      fs.renameSync(tmp, privateKeyPath)
      return publicKey
    })
  })

/**
 * The instance's key pair in `dir` (created if needed; the private key always 0600, or
 * ssh would refuse it). A private key without its public half gets the public half back
 * from `ssh-keygen -y`; a public key alone, or an unreadable private key, means a new pair.
 */
export const ensureKeyPair = (dir: string): Effect.Effect<KeyPair, SshError> =>
  Effect.gen(function*() {
    const privateKeyPath = path.join(dir, KeyName)
    const publicPath = `${privateKeyPath}.pub`
    yield* io(`creating ${dir}`, () => fs.mkdirSync(dir, { recursive: true, mode: 0o700 }))
    let publicKey: string
    if (!fs.existsSync(privateKeyPath)) {
      publicKey = yield* generate(privateKeyPath)
    } else {
      yield* io(`securing ${privateKeyPath}`, () => fs.chmodSync(privateKeyPath, 0o600))
      const stored = readIfExists(publicPath)?.trim()
      if (stored !== undefined && stored !== "") {
        publicKey = stored
      } else {
        const derived = yield* keygen(["-y", "-f", privateKeyPath]).pipe(Effect.option)
        if (derived._tag === "Some" && derived.value.trim() !== "") {
          publicKey = `${derived.value.trim().split(/\s+/).slice(0, 2).join(" ")} lima`
          yield* io(`writing ${publicPath}`, () => fs.writeFileSync(publicPath, `${publicKey}\n`, { mode: 0o644 }))
        } else {
          publicKey = yield* generate(privateKeyPath)
        }
      }
    }
    return { privateKeyPath, publicKey }
  })

/** The user's public keys, `~/.ssh/*.pub` in name order, one entry per key line. Unreadable files are skipped. */
export const dotSshPublicKeys = (home: string): Effect.Effect<ReadonlyArray<string>> =>
  Effect.sync(() => {
    const dir = path.join(home, ".ssh")
    let names: Array<string>
    try {
      names = fs.readdirSync(dir).filter((n) => n.endsWith(".pub")).sort()
    } catch {
      return []
    }
    return names.flatMap((name) => {
      const text = readIfExists(path.join(dir, name)) ?? ""
      return text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"))
    })
  })
