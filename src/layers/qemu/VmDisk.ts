/**
 * A VM's images and disk at create time, as Lima prepares them: the template's
 * image, kernel and initrd come through the shared download cache (ImageCache:
 * fetched once for every instance, digest-checked), and the VM's own disk is a
 * qcow2 overlay (`diffdisk`) on the base, sized by the template's `disk:`, so the
 * base is never written and a VM's state survives stop/start. The base is the
 * instance's own hard link (`basedisk`) to the cached file: free, and a cache entry
 * replaced later (a new digest) never changes an existing VM's backing file;
 * across filesystems it is a copy. What was resolved is kept in `boot.json`, so a
 * start never touches the network.
 */
import * as Effect from "effect/Effect"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import type * as LimaTemplate from "../../domain/LimaTemplate.js"
import { writeFileAtomicSync } from "../NodeInstanceDir.js"
import { diskFormat } from "./DiskFormat.js"
import * as ImageCache from "./ImageCache.js"
import type { VmFiles } from "./QemuArgs.js"

export interface BootFiles {
  readonly base: string
  readonly baseFormat: "raw" | "qcow2"
  readonly kernel?: string
  readonly initrd?: string
}

export interface PrepareOptions {
  readonly cacheDir: string
  readonly home: string
  /** a human progress line ("downloading …: 120 MiB of 470 MiB, …"), at most about once a second */
  readonly onProgress?: (text: string) => void
  readonly qemuImg?: string
}

const QemuImgTimeoutMillis = 60_000

const qemuImg = (binary: string, args: ReadonlyArray<string>) =>
  Effect.async<string, string>((resume) => {
    const child = execFile(binary, args, { timeout: QemuImgTimeoutMillis, killSignal: "SIGKILL" }, (err, stdout, stderr) => {
      if (err === null) resume(Effect.succeed(stdout))
      else if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        resume(Effect.fail(`${binary} is not installed (on Debian/Ubuntu: apt-get install qemu-utils; on macOS: brew install qemu)`))
      } else resume(Effect.fail(`${binary} ${args[0]} failed: ${stderr.trim() !== "" ? stderr.trim() : err.message}`))
    })
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/** Fetches the image files (cache hits cost nothing) and creates the overlay disk once. */
export const prepare = (image: LimaTemplate.Image, diskBytes: number, files: VmFiles, options: PrepareOptions): Effect.Effect<BootFiles, string> =>
  Effect.gen(function*() {
    const fetchOptions: ImageCache.FetchOptions = {
      cacheDir: options.cacheDir,
      home: options.home,
      ...(options.onProgress === undefined ? {} : {
        onProgress: (p: ImageCache.DownloadProgress) => options.onProgress?.(ImageCache.progressText(p)),
        onWaiting: (who: string) => options.onProgress?.(`waiting for ${who} to finish downloading ${image.location}`)
      })
    }
    const fetch = (ref: LimaTemplate.FileRef) =>
      ImageCache.fetch({ location: ref.location, digest: ref.digest }, fetchOptions).pipe(Effect.mapError((e) => e.message))
    const base = yield* fetch(image)
    const kernel = image.kernel === undefined ? undefined : yield* fetch(image.kernel)
    const initrd = image.initrd === undefined ? undefined : yield* fetch(image.initrd)
    yield* Effect.try({
      try: () => fs.mkdirSync(files.dir, { recursive: true, mode: 0o700 }),
      catch: (e) => `cannot create ${files.dir}: ${e instanceof Error ? e.message : String(e)}`
    })
    const basedisk = `${files.dir}/basedisk`
    if (!fs.existsSync(files.disk)) {
      yield* Effect.tryPromise({
        try: async () => {
          await fs.promises.rm(basedisk, { force: true })
          try {
            await fs.promises.link(base.path, basedisk)
          } catch {
            const tmp = `${basedisk}.${process.pid}.tmp`
            await fs.promises.copyFile(base.path, tmp, fs.constants.COPYFILE_FICLONE)
            await fs.promises.rename(tmp, basedisk)
          }
        },
        catch: (e) => `cannot link the image ${base.path} into ${files.dir}: ${e instanceof Error ? e.message : String(e)}`
      })
    }
    const boot: BootFiles = {
      base: basedisk,
      baseFormat: diskFormat(base.path),
      ...(kernel === undefined ? {} : { kernel: kernel.path }),
      ...(initrd === undefined ? {} : { initrd: initrd.path })
    }
    if (!fs.existsSync(files.disk)) {
      const binary = options.qemuImg ?? "qemu-img"
      const info = yield* qemuImg(binary, ["info", "--output=json", "-f", boot.baseFormat, boot.base])
      const virtual = Number((JSON.parse(info) as { "virtual-size"?: number })["virtual-size"] ?? 0)
      const tmp = `${files.disk}.${process.pid}.tmp`
      // never smaller than the base: a guest's filesystem must not end past its disk
      yield* qemuImg(binary, ["create", "-q", "-f", "qcow2", "-F", boot.baseFormat, "-b", boot.base, tmp, String(Math.max(diskBytes, virtual))])
      yield* Effect.try({ try: () => fs.renameSync(tmp, files.disk), catch: (e) => `cannot create ${files.disk}: ${String(e)}` })
    }
    yield* Effect.try({
      try: () => writeFileAtomicSync(files.boot, JSON.stringify(boot, null, 2) + "\n", 0o600),
      catch: (e) => `cannot write ${files.boot}: ${String(e)}`
    })
    return boot
  })

/** What `prepare` resolved, or undefined for an instance created before it existed. */
export const read = (files: VmFiles): BootFiles | undefined => {
  try {
    const b = JSON.parse(fs.readFileSync(files.boot, "utf8")) as BootFiles
    return typeof b.base === "string" ? b : undefined
  } catch {
    return undefined
  }
}
