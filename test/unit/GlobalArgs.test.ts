import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as GlobalArgs from "../../src/domain/GlobalArgs.js"

const parse = (argv: Array<string>, env: Record<string, string> = {}) => GlobalArgs.parse(argv, env)

describe("GlobalArgs", () => {
  it("defaults: instance 2, level info, format text", () => {
    const g = Either.getOrThrow(parse(["svc", "status"]))
    expect(g.instance.suffix).toBe("2")
    expect(g.logLevel).toBe("info")
    expect(g.logFormat).toBe("text")
    expect(g.rest).toEqual(["svc", "status"])
  })

  it("reads --instance before the subcommand, in both forms, over RDD_INSTANCE", () => {
    expect(Either.getOrThrow(parse(["--instance", "x1", "svc"], { RDD_INSTANCE: "y" })).instance.suffix).toBe("x1")
    expect(Either.getOrThrow(parse(["--instance=x2", "svc"])).instance.suffix).toBe("x2")
    expect(Either.getOrThrow(parse(["svc"], { RDD_INSTANCE: "y" })).instance.suffix).toBe("y")
  })

  it("rejects --instance after the subcommand, with a hint", () => {
    const e = parse(["svc", "status", "--instance", "x"])
    expect(Either.isLeft(e) && e.left).toContain("must come before the subcommand")
  })

  it("rejects a bad instance name", () => {
    expect(Either.isLeft(parse(["--instance", "../x", "svc"]))).toBe(true)
  })

  it("log level: flag, then RDD_LOG_LEVEL, then info; warn and _ accepted", () => {
    expect(Either.getOrThrow(parse(["--log-level=debug", "svc"], { RDD_LOG_LEVEL: "error" })).logLevel).toBe("debug")
    expect(Either.getOrThrow(parse(["svc"], { RDD_LOG_LEVEL: " error " })).logLevel).toBe("error")
    expect(Either.getOrThrow(parse(["svc", "status", "--log_level", "warn"])).logLevel).toBe("warning")
    expect(Either.isLeft(parse(["--log-level=nope", "svc"]))).toBe(true)
    expect(Either.isLeft(parse(["svc"], { RDD_LOG_LEVEL: "loud" }))).toBe(true)
  })

  it("developer mode makes debug the default level; flag and RDD_LOG_LEVEL still win", () => {
    expect(Either.getOrThrow(parse(["svc", "status"], { RDD_DEVELOPER_MODE: "1" })).logLevel).toBe("debug")
    expect(Either.getOrThrow(parse(["svc", "status"], { RDD_DEVELOPER_MODE: "yes" })).logLevel).toBe("info")
    expect(Either.getOrThrow(parse(["svc", "status"], { RDD_DEVELOPER_MODE: "true", RDD_LOG_LEVEL: "warn" })).logLevel).toBe("warning")
    expect(Either.getOrThrow(parse(["--log-level=error", "svc", "status"], { RDD_DEVELOPER_MODE: "T" })).logLevel).toBe("error")
  })

  it("--instance= (empty) is dropped: RDD_INSTANCE or the default applies", () => {
    expect(Either.getOrThrow(parse(["--instance=", "svc", "status"])).instance.name).toBe("rancher-desktop-2")
    expect(Either.getOrThrow(parse(["--instance=", "svc", "status"], { RDD_INSTANCE: "e" })).instance.name).toBe("rancher-desktop-e")
  })

  it("log format: text or json only", () => {
    expect(Either.getOrThrow(parse(["--log-format", "json", "svc"])).logFormat).toBe("json")
    expect(Either.isLeft(parse(["--log-format=xml", "svc"]))).toBe(true)
  })

  it("leaves pass-through commands untouched", () => {
    const g = Either.getOrThrow(parse(["--instance", "3", "ctl", "get", "--log-level=9", "--instance", "z"]))
    expect(g.instance.suffix).toBe("3")
    expect(g.rest).toEqual(["ctl", "get", "--log-level=9", "--instance", "z"])
  })

  it("a flag without its value is an error", () => {
    expect(Either.isLeft(parse(["--instance"]))).toBe(true)
    expect(Either.isLeft(parse(["--log-level", "--instance", "x"]))).toBe(true)
  })
})
