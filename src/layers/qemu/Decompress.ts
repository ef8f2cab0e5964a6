/**
 * Compressed images, as Lima accepts them: chosen by the location's extension and
 * decompressed by the system tool (the same tools Lima runs), streaming into a file.
 * A missing tool is named with the Debian package that provides it.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"

export interface Decompressor {
  readonly tool: string
  readonly debianPackage: string
}

const byExtension: ReadonlyArray<readonly [string, Decompressor]> = [
  [".xz", { tool: "xz", debianPackage: "xz-utils" }],
  [".gz", { tool: "gzip", debianPackage: "gzip" }],
  [".zst", { tool: "zstd", debianPackage: "zstd" }],
  [".zstd", { tool: "zstd", debianPackage: "zstd" }],
  [".bz2", { tool: "bzip2", debianPackage: "bzip2" }]
]

/** The decompressor for a location (URL or path; a URL's query does not count), if it is compressed. */
export const forLocation = (location: string): Decompressor | undefined => {
  const pathPart = location.replace(/[?#].*$/, "").toLowerCase()
  return byExtension.find(([ext]) => pathPart.endsWith(ext))?.[1]
}

export class DecompressFailed extends Error {}

/** `<tool> -dc <src> > <dst>`; aborting kills the tool and waits for it to exit. */
export const decompress = (d: Decompressor, src: string, dst: string, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    let out: number
    try {
      out = fs.openSync(dst, "w", 0o644)
    } catch (e) {
      reject(e)
      return
    }
    const child = spawn(d.tool, ["-dc", src], { stdio: ["ignore", out, "pipe"] })
    fs.closeSync(out)
    let stderr = ""
    child.stderr?.on("data", (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString("utf8")
    })
    const onAbort = () => child.kill("SIGKILL")
    signal.addEventListener("abort", onAbort, { once: true })
    let spawnError: NodeJS.ErrnoException | undefined
    child.on("error", (e: NodeJS.ErrnoException) => {
      spawnError = e
    })
    child.on("close", (code, sig) => {
      signal.removeEventListener("abort", onAbort)
      if (spawnError?.code === "ENOENT") {
        reject(new DecompressFailed(`${d.tool} is not installed (Debian package ${d.debianPackage})`))
      } else if (spawnError !== undefined) {
        reject(new DecompressFailed(`cannot run ${d.tool}: ${spawnError.message}`))
      } else if (code !== 0) {
        const why = stderr.trim().split("\n").slice(-3).join("; ")
        reject(new DecompressFailed(`${d.tool} -dc failed (${sig ?? `exit ${code}`})${why === "" ? "" : `: ${why}`}`))
      } else {
        resolve()
      }
    })
  })
