/**
 * Log record formatting compatible with logrus (SPEC 1.3), which scripts written
 * for the Go tool parse: text on a non-TTY, a short coloured form on a TTY, and
 * one JSON object per line. Pure: the Logging layer decides where lines go.
 */
import * as Either from "effect/Either"

export const LevelNames = ["trace", "debug", "info", "warning", "error", "fatal", "panic"] as const
export type Level = (typeof LevelNames)[number]

/** Accepts logrus level names (including `warn`); anything else is a usage error. */
export const parseLevel = (raw: string): Either.Either<Level, string> => {
  const v = raw.trim().toLowerCase()
  if (v === "warn") return Either.right("warning")
  return (LevelNames as ReadonlyArray<string>).includes(v)
    ? Either.right(v as Level)
    : Either.left(`not a valid log level: ${JSON.stringify(raw)}; valid levels: trace, debug, info, warn, error, fatal, panic`)
}

export const Formats = ["text", "json"] as const
export type Format = (typeof Formats)[number]

export const parseFormat = (raw: string): Either.Either<Format, string> =>
  (Formats as ReadonlyArray<string>).includes(raw)
    ? Either.right(raw as Format)
    : Either.left(`invalid log format: ${JSON.stringify(raw)}; valid formats: text, json`)

/** Go's strconv.Quote, enough for log messages. */
export const goQuote = (s: string): string => {
  let out = "\""
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    switch (ch) {
      case "\"": out += "\\\""; break
      case "\\": out += "\\\\"; break
      case "\n": out += "\\n"; break
      case "\r": out += "\\r"; break
      case "\t": out += "\\t"; break
      case "\x07": out += "\\a"; break
      case "\b": out += "\\b"; break
      case "\f": out += "\\f"; break
      case "\v": out += "\\v"; break
      default:
        out += c < 0x20 || c === 0x7f ? `\\x${c.toString(16).padStart(2, "0")}` : ch
    }
  }
  return `${out}"`
}

/** logrus writes a value bare only when every character is safe. */
const needsQuoting = (s: string): boolean => !/^[A-Za-z0-9\-._/@^+]*$/.test(s)
const fieldValue = (s: string): string => (needsQuoting(s) ? goQuote(s) : s)

export interface Record {
  readonly level: Level
  readonly message: string
  readonly time: Date
  readonly fields?: Readonly<{ [key: string]: string }>
}

const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z")

export const text = (r: Record): string => {
  let line = `time=${fieldValue(rfc3339(r.time))} level=${r.level}`
  if (r.message !== "") line += ` msg=${fieldValue(r.message)}`
  for (const k of Object.keys(r.fields ?? {}).sort()) line += ` ${k}=${fieldValue(r.fields![k]!)}`
  return line
}

export const json = (r: Record): string => {
  const obj: { [key: string]: string } = {}
  for (const k of Object.keys(r.fields ?? {})) obj[k] = r.fields![k]!
  obj["level"] = r.level
  obj["msg"] = r.message
  obj["time"] = rfc3339(r.time)
  const sorted: { [key: string]: string } = {}
  for (const k of Object.keys(obj).sort()) sorted[k] = obj[k]!
  return JSON.stringify(sorted)
}

const colours: { [L in Level]: number } = {
  trace: 37, debug: 37, info: 36, warning: 33, error: 31, fatal: 31, panic: 31
}

/** `INFO[0003] message`, coloured; seconds since the command started. */
export const tty = (r: Record, startedAt: Date): string => {
  const secs = Math.max(0, Math.floor((r.time.getTime() - startedAt.getTime()) / 1000))
  const word = r.level.toUpperCase().slice(0, 4)
  let line = `\x1b[${colours[r.level]}m${word}\x1b[0m[${String(secs).padStart(4, "0")}] ${r.message}`
  for (const k of Object.keys(r.fields ?? {}).sort()) {
    line += ` \x1b[${colours[r.level]}m${k}\x1b[0m=${fieldValue(r.fields![k]!)}`
  }
  return line
}

/** The line of a record on stderr: JSON when asked for, else the coloured form on a terminal, logrus text otherwise. */
export const render = (o: { readonly format: Format; readonly isTTY: boolean; readonly startedAt: Date }, r: Record): string =>
  o.format === "json" ? json(r) : o.isTTY ? tty(r, o.startedAt) : text(r)
