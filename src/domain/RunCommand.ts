/**
 * `rdd run COMMAND [ARGS...]` (reference go-rdd-cli-surface 5.3), the pure part:
 * what the words ask for (help, a usage error, or a command; no flag parsing,
 * a leading `--` dropped), whether starting the App should enable Kubernetes
 * first, and the child's environment.
 */
import * as DockerContext from "./DockerContext.js"

export type Request =
  | { readonly _tag: "Help" }
  | { readonly _tag: "Usage"; readonly message: string }
  | { readonly _tag: "Run"; readonly command: string; readonly args: ReadonlyArray<string> }

export const Usage = "run requires a command to execute"

export const help = `Run a command with the instance's tools and contexts: PATH starts with ~/.rd<suffix>/bin,
DOCKER_CONTEXT names the instance's Docker context (rancher-desktop-<suffix>), KUBECONFIG is
~/.rd<suffix>/kube.config and DOCKER_HOST is removed. The App is started first (kubectl and helm
also enable Kubernetes when the App does not exist yet). Its stdin, stdout, stderr and exit
status are the command's (255 when a signal ended it).

Usage:
  rdd run COMMAND [ARGS...]
  rdd run -- COMMAND [ARGS...]   (COMMAND may then start with -)

Examples:
  rdd run docker ps
  rdd run sh -c 'echo $DOCKER_CONTEXT'
`

export const parse = (words: ReadonlyArray<string>): Request => {
  if (words[0] === "-h" || words[0] === "--help") return { _tag: "Help" }
  const rest = words[0] === "--" ? words.slice(1) : words
  const [command, ...args] = rest
  return command === undefined ? { _tag: "Usage", message: Usage } : { _tag: "Run", command, args }
}

/** kubectl and helm need Kubernetes: an App created for them gets kubernetes.enabled=true. */
export const needsKubernetes = (command: string): boolean => {
  const base = (command.split(/[\\/]/).pop() ?? command).replace(/\.exe$/, "")
  return base === "kubectl" || base === "helm"
}

export interface InstanceOfRun {
  readonly suffix: string
  /** `~/.rd<suffix>` */
  readonly shortDir: string
}

export const childEnv = (
  env: Readonly<Record<string, string | undefined>>,
  instance: InstanceOfRun,
  pathSeparator = ":"
): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined && k !== "DOCKER_HOST") out[k] = v
  const bin = `${instance.shortDir}/bin`
  const old = env["PATH"] ?? ""
  out["PATH"] = old === "" ? bin : `${bin}${pathSeparator}${old}`
  out["DOCKER_CONTEXT"] = DockerContext.nameFor(instance.suffix)
  out["KUBECONFIG"] = `${instance.shortDir}/kube.config`
  return out
}
