/**
 * A Lima template (the YAML a LimaVM runs from): parsing and admission validation
 * with the messages of the Go tool (reference/go-rdd-limavm.md 2.3, which checks
 * substrings of Lima's own texts), defaults filled the way Lima fills them, and the
 * few fields the VM drivers use. Unknown keys are accepted, as Lima does. One rdd
 * extension, ignored by Lima: `rdd.readyLine`, the serial-console text by which a
 * guest says it has booted (`{{.Name}}` expands to the VM name there and in the
 * kernel cmdline).
 */
import * as Data from "effect/Data"
import * as Either from "effect/Either"
import { parseDocument } from "yaml"
import * as GuestConfig from "./limavm/GuestConfig.js"
import * as LimaSize from "./limavm/LimaSize.js"

export const ArchTypes = ["x86_64", "aarch64", "armv7l", "ppc64le", "riscv64", "s390x"] as const
export type Arch = (typeof ArchTypes)[number]
export const VmTypes = ["qemu", "vz", "wsl2", "krunkit"] as const
export type VmType = (typeof VmTypes)[number]
export const OsTypes = ["Linux", "Darwin", "FreeBSD"] as const

/** A template that cannot be used; `message` is the admission text. */
export class TemplateError extends Data.TaggedError("TemplateError")<{
  readonly message: string
}> {}

export interface FileRef {
  /** a local path (`~` allowed) or a URL */
  readonly location: string
  readonly arch: Arch
  readonly digest?: string
}

export interface Kernel extends FileRef {
  readonly cmdline?: string
}

export interface Image extends FileRef {
  readonly kernel?: Kernel
  readonly initrd?: FileRef
}

export interface LimaTemplate {
  readonly vmType: VmType
  readonly os: string
  readonly arch: Arch
  readonly images: ReadonlyArray<Image>
  /** None when the template leaves it to the driver's default */
  readonly cpus?: number
  /** bytes; absent when the template leaves it to the driver's default */
  readonly memoryBytes?: number
  /** bytes (`disk:`); absent when the template leaves it to the driver (shown by `limavm list`) */
  readonly diskBytes?: number
  /** rdd extension: text on the serial console that means "booted" (unexpanded) */
  readonly readyLine?: string
  /** user, SSH, provisioning, probes, forwards, mounts, env, disk size */
  readonly guest: GuestConfig.GuestConfig
}

export interface ParseOptions {
  /** Lima's default for `arch` is the host's */
  readonly hostArch?: Arch
}

/** Lima's name for the architecture Node reports as `process.arch` (the host's, Lima's default). */
export const archOfNode = (nodeArch: string): Arch => (nodeArch === "arm64" ? "aarch64" : "x86_64")

/** The ConfigMap data key holding a template. */
export const TemplateKey = "template"

/** The template text of a ConfigMap, with the admission messages for a missing or empty key. */
export const fromConfigMapData = (
  data: Readonly<Record<string, string>> | undefined
): Either.Either<string, TemplateError> => {
  const text = data?.[TemplateKey]
  if (text === undefined) {
    return Either.left(new TemplateError({ message: `template ConfigMap must have a "template" data entry` }))
  }
  if (text.trim() === "") return Either.left(new TemplateError({ message: `"template" data cannot be empty` }))
  return Either.right(text)
}

/** Parses and validates; the message starts with "failed to parse template: " or "failed to validate template: ". */
export const parse = (text: string, options: ParseOptions = {}): Either.Either<LimaTemplate, TemplateError> => {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    return Either.left(new TemplateError({ message: `failed to parse template: ${doc.errors[0]!.message}` }))
  }
  const root: unknown = doc.toJS({ maxAliasCount: 100 })
  const decoded = decode(root ?? {}, options.hostArch ?? "x86_64")
  if (decoded._tag === "TypeErrors") {
    return Either.left(new TemplateError({ message: `failed to parse template: ${decoded.errors.join("\n")}` }))
  }
  const errors = validate(decoded)
  if (errors.length > 0) {
    return Either.left(new TemplateError({ message: `failed to validate template: ${errors.join("\n")}` }))
  }
  return Either.right(decoded.template)
}

// -- decoding (YAML shape -> typed fields; a wrong shape is a parse error, as in Go's unmarshal) --

interface Decoded {
  readonly _tag: "Decoded"
  readonly template: LimaTemplate
  /** values as written, validated afterwards (Go validates after FillDefault) */
  readonly rawArch: string
  readonly rawVmType: string
  readonly rawImageArchs: ReadonlyArray<{ image: string; kernel?: string; initrd?: string }>
  readonly rawMemory?: string
  /** the guest fields' validation messages */
  readonly guestInvalid: ReadonlyArray<string>
}
interface TypeErrors {
  readonly _tag: "TypeErrors"
  readonly errors: ReadonlyArray<string>
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const decode = (root: unknown, hostArch: Arch): Decoded | TypeErrors => {
  const errors: Array<string> = []
  if (!isRecord(root)) return { _tag: "TypeErrors", errors: [`cannot unmarshal ${kindOf(root)} into a Lima template (a mapping)`] }
  const str = (v: unknown, field: string): string | undefined => {
    if (v === undefined || v === null) return undefined
    if (typeof v === "string") return v
    if (typeof v === "number" || typeof v === "boolean") return String(v)
    errors.push(`field \`${field}\`: cannot unmarshal ${kindOf(v)} into string`)
    return undefined
  }
  const arch = str(root["arch"], "arch") ?? hostArch
  const vmType = str(root["vmType"], "vmType") ?? "qemu"
  const os = str(root["os"], "os") ?? "Linux"
  let cpus: number | undefined
  if (root["cpus"] !== undefined && root["cpus"] !== null) {
    const c = root["cpus"]
    if (typeof c === "number" && Number.isInteger(c)) cpus = c
    else errors.push(`field \`cpus\`: cannot unmarshal ${kindOf(c)} ${JSON.stringify(c)} into int`)
  }
  const rawMemory = str(root["memory"], "memory")
  // read leniently: only `limavm list` shows it, and admission has never checked it
  const rawDisk = root["disk"]
  const diskBytes = typeof rawDisk === "string" || typeof rawDisk === "number" ? parseSize(String(rawDisk)) : undefined
  let readyLine: string | undefined
  const ext = root["rdd"]
  if (isRecord(ext)) readyLine = str(ext["readyLine"], "rdd.readyLine")
  else if (ext !== undefined && ext !== null) errors.push(`field \`rdd\`: cannot unmarshal ${kindOf(ext)} into a mapping`)

  const { config: guest, invalid: guestInvalid } = GuestConfig.decode(root, errors)
  const images: Array<Image> = []
  const rawImageArchs: Array<{ image: string; kernel?: string; initrd?: string }> = []
  const rawImages = root["images"]
  if (rawImages !== undefined && rawImages !== null && !Array.isArray(rawImages)) {
    errors.push(`field \`images\`: cannot unmarshal ${kindOf(rawImages)} into a list`)
  } else {
    ;(rawImages ?? []).forEach((img: unknown, i: number) => {
      const at = `images[${i}]`
      if (!isRecord(img)) {
        errors.push(`field \`${at}\`: cannot unmarshal ${kindOf(img)} into a mapping`)
        return
      }
      const imageArch = str(img["arch"], `${at}.arch`) ?? arch
      const archs: { image: string; kernel?: string; initrd?: string } = { image: imageArch }
      const file = (v: unknown, f: string): FileRef | undefined => {
        if (v === undefined || v === null) return undefined
        if (!isRecord(v)) {
          errors.push(`field \`${f}\`: cannot unmarshal ${kindOf(v)} into a mapping`)
          return undefined
        }
        const digest = str(v["digest"], `${f}.digest`)
        return {
          location: str(v["location"], `${f}.location`) ?? "",
          arch: (str(v["arch"], `${f}.arch`) ?? imageArch) as Arch,
          ...(digest === undefined ? {} : { digest })
        }
      }
      const kernelRef = file(img["kernel"], `${at}.kernel`)
      const cmdline = isRecord(img["kernel"]) ? str(img["kernel"]["cmdline"], `${at}.kernel.cmdline`) : undefined
      const initrd = file(img["initrd"], `${at}.initrd`)
      if (kernelRef !== undefined) archs.kernel = kernelRef.arch
      if (initrd !== undefined) archs.initrd = initrd.arch
      rawImageArchs.push(archs)
      const digest = str(img["digest"], `${at}.digest`)
      images.push({
        location: str(img["location"], `${at}.location`) ?? "",
        arch: imageArch as Arch,
        ...(digest === undefined ? {} : { digest }),
        ...(kernelRef === undefined ? {} : { kernel: { ...kernelRef, ...(cmdline === undefined ? {} : { cmdline }) } }),
        ...(initrd === undefined ? {} : { initrd })
      })
    })
  }
  if (errors.length > 0) return { _tag: "TypeErrors", errors }
  const memoryBytes = rawMemory === undefined ? undefined : parseSize(rawMemory)
  return {
    _tag: "Decoded",
    rawArch: arch,
    rawVmType: vmType,
    rawImageArchs,
    guestInvalid,
    ...(rawMemory === undefined ? {} : { rawMemory }),
    template: {
      vmType: vmType as VmType,
      os,
      arch: arch as Arch,
      images,
      guest,
      ...(cpus === undefined ? {} : { cpus }),
      ...(memoryBytes === undefined ? {} : { memoryBytes }),
      ...(diskBytes === undefined ? {} : { diskBytes }),
      ...(readyLine === undefined ? {} : { readyLine })
    }
  }
}

const kindOf = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "sequence" : typeof v === "object" ? "mapping" : typeof v

// -- validation (Lima's texts; Go's %q is JSON-like double quoting) --

const q = (s: string): string => JSON.stringify(s)
const archList = `[${ArchTypes.join(" ")}]`
const isArch = (s: string): s is Arch => (ArchTypes as ReadonlyArray<string>).includes(s)

const validate = (d: Decoded): ReadonlyArray<string> => {
  const errs: Array<string> = []
  const t = d.template
  if (!(OsTypes as ReadonlyArray<string>).includes(t.os)) {
    errs.push(`field \`os\` must be one of [${OsTypes.map(q).join(" ")}]; got ${q(t.os)}`)
  }
  if (!isArch(d.rawArch)) errs.push(`field \`arch\` must be one of ${archList}; got ${q(d.rawArch)}`)
  if (!(VmTypes as ReadonlyArray<string>).includes(d.rawVmType)) {
    errs.push(`field \`vmType\` must be one of [${VmTypes.join(" ")}]; got ${q(d.rawVmType)}`)
  }
  if (t.images.length === 0) errs.push("field `images` must be set")
  t.images.forEach((img, i) => {
    const archs = d.rawImageArchs[i]!
    errs.push(...validateFile(img.location, archs.image, `images[${i}]`))
    if (img.kernel !== undefined) {
      errs.push(...validateFile(img.kernel.location, archs.kernel ?? archs.image, `images[${i}].kernel`))
      if (archs.kernel !== archs.image) {
        errs.push(`images[${i}].kernel has unexpected architecture ${q(archs.kernel ?? "")}, must be ${q(archs.image)}`)
      }
    }
    if (img.initrd !== undefined) {
      errs.push(...validateFile(img.initrd.location, archs.initrd ?? archs.image, `images[${i}].initrd`))
      if (archs.initrd !== archs.image) {
        errs.push(`images[${i}].initrd has unexpected architecture ${q(archs.initrd ?? "")}, must be ${q(archs.image)}`)
      }
    }
  })
  if (t.cpus !== undefined && t.cpus <= 0) errs.push("field `cpus` must be set")
  if (d.rawMemory !== undefined && t.memoryBytes === undefined) {
    errs.push(`field \`memory\` has an invalid value: invalid size: '${d.rawMemory}'`)
  }
  if (t.readyLine !== undefined && t.readyLine.trim() === "") errs.push("field `rdd.readyLine` must not be empty")
  errs.push(...d.guestInvalid)
  return errs
}

const validateFile = (location: string, arch: string, field: string): ReadonlyArray<string> => {
  const errs: Array<string> = []
  if (!location.includes("://") && location === "") {
    errs.push(`field \`${field}.location\` refers to an invalid local file path: ${q(location)}: empty path`)
  }
  if (!isArch(arch)) errs.push(`field \`arch\` must be one of ${archList}; got ${q(arch)}`)
  return errs
}

// -- sizes and expansion --

/** docker/go-units RAMInBytes: "512MiB", "2GiB", "4G", "1.5g", "1024" (all multipliers binary). */
export const parseSize = LimaSize.parse

/** Expands `{{.Name}}` (Go template spelling, spaces allowed) to the VM name. */
export const expand = (text: string, vmName: string): string => text.replace(/\{\{\s*\.Name\s*\}\}/g, vmName)

/** `file:///x` and local paths are local; anything else with `://` is remote. */
export const localPath = (location: string, home: string): string | undefined => {
  if (location.startsWith("file://")) return location.slice("file://".length)
  if (location.includes("://")) return undefined
  if (location === "~") return home
  if (location.startsWith("~/")) return `${home}${location.slice(1)}`
  return location
}
