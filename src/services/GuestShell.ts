/**
 * A shell or a command in a running VM's guest, over the VM's own SSH key and port
 * (what `rdd limavm shell` and `limactl shell` do): the remote exit status comes back,
 * stdio is the caller's. The VM's SSH settings are the instance's files
 * (`<lima_home>/<name>/ssh.config`), so no daemon round-trip is needed for them.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { Failure } from "../domain/Errors.js"

export interface ShellRequest {
  readonly name: string
  /** a guest directory to start in; failing to enter it fails the command */
  readonly workdir?: string
  /** the guest shell (default: the guest user's login shell, `$SHELL`) */
  readonly shell?: string
  /** run this instead of an interactive shell (words, quoted for the guest shell) */
  readonly command: ReadonlyArray<string>
}

export interface GuestShellShape {
  /** The remote exit status (255: ssh itself failed, as ssh reports it). */
  readonly run: (request: ShellRequest) => Effect.Effect<number, Failure>
}

export class GuestShell extends Context.Tag("rdd/GuestShell")<GuestShell, GuestShellShape>() {}

/** The remote shell line: enter the workdir (or fail), then exec the login shell, with the command if any. */
export const remoteScript = (request: ShellRequest, quote: (word: string) => string): string => {
  const shell = request.shell === undefined ? "\"$SHELL\"" : quote(request.shell)
  const cd = request.workdir === undefined ? "" : `cd ${quote(request.workdir)} || exit 1; `
  const command = request.command.length === 0 ? "" : ` -c ${quote(request.command.map(quote).join(" "))}`
  return `${cd}exec ${shell} --login${command}`
}
