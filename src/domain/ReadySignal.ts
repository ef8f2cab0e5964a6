/**
 * The daemon's readiness socket: a unix socket (Instance.paths.ready_socket) that
 * exists while the daemon is ready (SPEC 2.8: from the discovery ConfigMap's ready
 * annotation until a shutdown begins) and answers every connection with one line
 * naming the run, then closes it.
 *
 * It tells what SPEC 2.8's look over TLS establishes, without a TLS handshake or a
 * kubeconfig parser: the answer comes from the daemon's own event loop (a frozen or
 * wedged daemon does not answer); it exists only between the ready annotation and
 * the start of a shutdown (during which /readyz answers 200 and the discovery
 * ConfigMap is this run's and ready); it names the run (a socket left by a killed
 * daemon refuses connections, and another run's start id does not match the run
 * record); and it carries the stamp of the kubeconfig the run wrote, so a reader
 * whose kubeconfig has that stamp holds exactly the credentials this run accepts
 * (a kubeconfig changed since, e.g. by `rdd ctl config ...`, does not match). The
 * bin's `rdd ctl` path (src/plain/ctl.ts) asks it and runs kubectl at once when it
 * holds; anything else takes the full path, whose look (services/ReadyNow.ts)
 * decides as before.
 */

/**
 * The longest socket path used, in bytes: `sun_path` holds 104 bytes on macOS and
 * 108 on Linux, NUL included. With a longer path (a very long HOME) there is no
 * readiness socket and `rdd ctl` always takes the full path.
 */
export const MaxPathBytes = 103

export const usable = (path: string): boolean => Buffer.byteLength(path) <= MaxPathBytes

/**
 * One version of one file: device, inode, size and modification time in ns. A file
 * replaced (renamed over) or rewritten in place gets another stamp.
 */
export const fileStamp = (st: { readonly dev: bigint; readonly ino: bigint; readonly size: bigint; readonly mtimeNs: bigint }): string =>
  `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`

/** What the answer tells: this run, and the stamp of the kubeconfig this run wrote. */
export interface Answer {
  readonly startId: string
  readonly kubeconfig: string
}

/** What the daemon writes to each connection. */
export const line = (a: Answer): string => `rdd ready ${a.startId} ${a.kubeconfig}\n`

/** The answer a connection's whole output is, if it is one `line`. */
export const parse = (output: string): Answer | undefined => {
  const m = /^rdd ready (\S+) (\S+)\n$/.exec(output)
  return m === null ? undefined : { startId: m[1]!, kubeconfig: m[2]! }
}
