/**
 * Where log records go: stderr, in logrus text (non-TTY), the short coloured form
 * (TTY) or JSON. Also owns the progress line, so a log record first clears it and
 * then redraws it: a terminal never shows two half-lines mixed.
 */
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as LogFormat from "../domain/LogFormat.js"
import { Progress } from "../services/Progress.js"

export interface LoggingOptions {
  readonly level: LogFormat.Level
  readonly format: LogFormat.Format
  readonly isTTY: boolean
  readonly write?: (chunk: string) => void
}

export const toEffectLevel = (level: LogFormat.Level): LogLevel.LogLevel => {
  switch (level) {
    case "trace": return LogLevel.Trace
    case "debug": return LogLevel.Debug
    case "info": return LogLevel.Info
    case "warning": return LogLevel.Warning
    case "error": return LogLevel.Error
    case "fatal":
    case "panic": return LogLevel.Fatal
  }
}

const fromEffectLevel = (level: LogLevel.LogLevel): LogFormat.Level => {
  switch (level._tag) {
    case "Trace": return "trace"
    case "Debug": return "debug"
    case "Info": return "info"
    case "Warning": return "warning"
    case "Error": return "error"
    case "Fatal": return "fatal"
    default: return "info"
  }
}

const messageText = (message: unknown): string => {
  const parts = Array.isArray(message) ? message : [message]
  return parts.map((p) => (typeof p === "string" ? p : p instanceof Error ? p.message : JSON.stringify(p))).join(" ")
}

export const layer = (options: LoggingOptions): Layer.Layer<Progress> => {
  const write = options.write ?? ((chunk: string) => process.stderr.write(chunk))
  const startedAt = new Date()
  let progressLine: string | undefined
  const clearLine = () => {
    if (progressLine !== undefined) write("\r\x1b[2K")
  }
  const logger = Logger.make(({ annotations, date, logLevel, message, spans: _spans }) => {
    const fields: Record<string, string> = {}
    for (const [k, v] of HashMap.toEntries(annotations)) fields[k] = typeof v === "string" ? v : JSON.stringify(v)
    const record: LogFormat.Record = { level: fromEffectLevel(logLevel), message: messageText(message), time: date, fields }
    const line = LogFormat.render({ format: options.format, isTTY: options.isTTY, startedAt }, record)
    clearLine()
    write(`${line}\n`)
    if (progressLine !== undefined) write(progressLine)
  })
  const progressEnabled = options.isTTY && options.format === "text" &&
    LogLevel.lessThanEqual(toEffectLevel(options.level), LogLevel.Info)
  const progress = Layer.succeed(Progress, {
    enabled: progressEnabled,
    show: (line) => Effect.sync(() => {
      progressLine = `\r\x1b[2K${line}`
      write(progressLine)
    }),
    clear: Effect.sync(() => {
      clearLine()
      progressLine = undefined
    })
  })
  return Layer.mergeAll(
    progress,
    Logger.replace(Logger.defaultLogger, logger),
    Logger.minimumLogLevel(toEffectLevel(options.level))
  )
}
