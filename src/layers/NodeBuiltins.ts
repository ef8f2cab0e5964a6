/**
 * Node built-ins that modules every command loads take on first use rather than
 * at start-up: `rdd svc status` uses neither node:child_process nor node:crypto
 * when no daemon runs, and loading both costs about 8% of `node -e 0` (measured
 * side by side).
 */
import { createRequire } from "node:module"

// (not named `require`: the bundle's banner declares that in every chunk)
const nodeRequire = createRequire(import.meta.url)

const once = <A>(id: string): (() => A) => {
  let loaded: A | undefined
  return () => (loaded ??= nodeRequire(id) as A)
}

export const childProcess = once<typeof import("node:child_process")>("node:child_process")
export const crypto = once<typeof import("node:crypto")>("node:crypto")
