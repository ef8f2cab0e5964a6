/**
 * An rdd instance: its suffix, name, index, default port and every path it owns
 * (SPEC 1.5). Pure: the caller supplies home, platform and environment, so the
 * same rules serve the CLI, the daemon and the tests. The InstanceDir service is
 * the only place that turns these into real paths.
 */
import * as Either from "effect/Either"

export const DefaultSuffix = "2"
const suffixPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/

export interface Instance {
  readonly suffix: string
  /** `rancher-desktop-<suffix>` */
  readonly name: string
  readonly index: number
  /** default API port: 6443 + index */
  readonly defaultPort: number
}

/** Validates a suffix; it ends up in directory names that `svc delete` removes recursively. */
export const validateSuffix = (suffix: string): Either.Either<string, string> => {
  if (!suffixPattern.test(suffix)) {
    return Either.left(
      `invalid instance ${JSON.stringify(suffix)}: must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$`
    )
  }
  if (suffix.includes("..")) return Either.left(`invalid instance ${JSON.stringify(suffix)}: must not contain ".."`)
  return Either.right(suffix)
}

/** The suffix itself when it is an integer 1..99, else 100 + (sum of code points mod 100). */
export const indexOf = (suffix: string): number => {
  if (/^[0-9]+$/.test(suffix)) {
    const n = Number(suffix)
    if (n >= 1 && n <= 99) return n
  }
  let sum = 0
  for (const ch of suffix) sum += ch.codePointAt(0)!
  return 100 + (sum % 100)
}

export const make = (suffix: string): Either.Either<Instance, string> =>
  Either.map(validateSuffix(suffix), (s) => {
    const index = indexOf(s)
    return { suffix: s, name: `rancher-desktop-${s}`, index, defaultPort: 6443 + index }
  })

/** `"rancher-desktop-2"`: how messages name an instance (Go's %q). */
export const quoted = (instance: Instance): string => JSON.stringify(instance.name)

export type Platform = "linux" | "darwin"

export interface PathEnv {
  readonly home: string
  readonly platform: Platform
  /**
   * RDD_LOG_ROOT, when set and non-empty: a parent directory under which each
   * instance keeps its own `<name>` log dir. Never RDD_LOG_DIR: that is what
   * `svc paths -o shell` exports, and reading it back would make every instance
   * started from that shell rotate and delete the exporting instance's logs.
   */
  readonly logRoot?: string | undefined
}

/** Every key of `rdd svc paths`, sorted. */
export const PathKeys = [
  "args_file",
  "config",
  "db",
  "dir",
  "docker_socket",
  "k3s_config",
  "lima_home",
  "log_dir",
  "pid_file",
  "short_dir",
  "tls_dir"
] as const
export type PathKey = (typeof PathKeys)[number]

export interface Paths extends Record<PathKey, string> {
  /** daemon run record: pid, start id, effective settings (written by the daemon) */
  readonly run_file: string
  /** the daemon's exclusive lock (held for its whole life) */
  readonly lock_file: string
  /**
   * the daemon's readiness socket (ReadySignal.ts), in the short directory: a unix
   * socket path is limited to about 100 bytes, and the data directory's may be longer
   */
  readonly ready_socket: string
  readonly stdout_log: string
  readonly stderr_log: string
}

const join = (...parts: ReadonlyArray<string>): string => parts.join("/").replace(/\/+/g, "/")

export const paths = (instance: Instance, env: PathEnv): Paths => {
  const dir = env.platform === "darwin"
    ? join(env.home, "Library", "Application Support", instance.name)
    : join(env.home, ".local", "share", instance.name)
  const logDir = env.logRoot !== undefined && env.logRoot !== ""
    ? join(env.logRoot, instance.name)
    : env.platform === "darwin"
    ? join(env.home, "Library", "Logs", instance.name)
    : join(env.home, ".local", "state", instance.name)
  const shortDir = join(env.home, `.rd${instance.suffix}`)
  return {
    args_file: join(dir, "args.json"),
    config: join(dir, "config.yaml"),
    db: join(dir, "rdd.sqlite3"),
    dir,
    docker_socket: join(shortDir, "docker.sock"),
    k3s_config: join(dir, "k3s.yaml"),
    lima_home: join(shortDir, "lima"),
    log_dir: logDir,
    pid_file: join(dir, "rdd.pid"),
    short_dir: shortDir,
    tls_dir: join(dir, "tls"),
    run_file: join(dir, "rdd.run.json"),
    lock_file: join(dir, "rdd.lock"),
    ready_socket: join(shortDir, "rdd-ready.sock"),
    stdout_log: join(logDir, "rdd.stdout.log"),
    stderr_log: join(logDir, "rdd.stderr.log")
  }
}

/** The directories `svc delete` removes recursively. */
export type RemovableDir = "dir" | "log_dir" | "short_dir"

/**
 * Why `path` may not be removed as this instance's `key` directory, or undefined
 * when it may. Every directory an instance owns ends in a component that names
 * it (`rancher-desktop-<suffix>`, `.rd<suffix>`), so a path computed for another
 * instance, a shared parent or a home directory is refused whatever the
 * environment said.
 */
export const refuseRemoval = (instance: Instance, key: RemovableDir, path: string): string | undefined => {
  const own = key === "short_dir" ? `.rd${instance.suffix}` : instance.name
  const last = path.replace(/\/+$/, "").split("/").at(-1)
  return last === own
    ? undefined
    : `refusing to remove ${path}: it is not a directory of ${quoted(instance)} (its name must be ${JSON.stringify(own)})`
}

/** Parses a pid file's content: a bare decimal, surrounding white space tolerated. */
export const parsePid = (content: string): number | undefined => {
  const t = content.trim()
  if (!/^[0-9]{1,10}$/.test(t)) return undefined
  const n = Number(t)
  return n > 1 && n <= 0x3fffffff ? n : undefined
}
