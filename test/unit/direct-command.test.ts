import { assert, describe, it } from "@effect/vitest"
import { passThroughArgv } from "../../src/domain/GlobalArgs.js"
import * as DirectCommand from "../../src/domain/DirectCommand.js"

const match = (line: string) => DirectCommand.match(line === "" ? [] : line.split(" "))

describe("the command lines run without @effect/cli", () => {
  it("takes the plain forms of svc status, svc paths and ctl", () => {
    assert.deepStrictEqual(match("svc status"), { command: "svc status", output: "text" })
    assert.deepStrictEqual(match("service status -o json"), { command: "svc status", output: "json" })
    assert.deepStrictEqual(match("svc status --output=json"), { command: "svc status", output: "json" })
    assert.deepStrictEqual(match("svc status --output text"), { command: "svc status", output: "text" })
    assert.deepStrictEqual(match("svc paths"), { command: "svc paths", key: undefined, output: "table" })
    assert.deepStrictEqual(match("svc paths config -o shell"), { command: "svc paths", key: "config", output: "shell" })
    assert.deepStrictEqual(match("svc paths -o json log_dir"), { command: "svc paths", key: "log_dir", output: "json" })
    assert.deepStrictEqual(DirectCommand.match(passThroughArgv(["ctl", "get", "ns", "-o", "yaml"])), { command: "ctl", args: ["get", "ns", "-o", "yaml"] })
    assert.deepStrictEqual(DirectCommand.match(passThroughArgv(["ctl"])), { command: "ctl", args: [] })
    assert.deepStrictEqual(DirectCommand.match(passThroughArgv(["ctl", "--", "--help"])), { command: "ctl", args: ["--help"] })
  })

  it("leaves everything else to @effect/cli: help, bad or repeated values, other flags, other commands", () => {
    for (
      const line of [
        "", "svc", "svc status --help", "svc status -h", "svc status -o yaml", "svc status -o", "svc status --output=",
        "svc status -o=json", "svc status -ojson", "svc status -o json -o text", "svc status json", "svc status --wizard",
        "svc status --", "svc paths nope", "svc paths config dir", "svc paths -o text", "svc paths --help", "svc start",
        "svc config", "status", "limavm list", "kubectl get ns", "ctl get ns", "ctl -- wait-condition --for=x"
      ]
    ) assert.strictEqual(match(line), undefined, line)
    assert.strictEqual(DirectCommand.match(passThroughArgv(["ctl", "wait-condition", "x"])), undefined)
  })
})
