/**
 * Developer mode's decision (RDD_DEVELOPER_MODE, else the source-checkout rule)
 * and the log level handed to the daemon as klog `-v` (issue 14 item 4).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as ServeArgs from "../../src/commands/svc/serveArgs.js"
import * as DeveloperMode from "../../src/domain/DeveloperMode.js"
import * as GlobalArgs from "../../src/domain/GlobalArgs.js"
import * as Verbosity from "../../src/domain/Verbosity.js"
import * as DaemonSettings from "../../src/services/DaemonSettings.js"

const goBooleans = ["1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"]

describe("DeveloperMode.decide", () => {
  it("a set value is read as a Go boolean and the checkout is not looked at", () => {
    const asked: Array<string> = []
    const checkout = () => (asked.push("x"), true)
    for (const v of goBooleans) assert.strictEqual(DeveloperMode.decide(` ${v} `, checkout), ["1", "t", "T", "TRUE", "true", "True"].includes(v))
    assert.isFalse(DeveloperMode.decide("yes", checkout))
    assert.deepStrictEqual(asked, [])
  })

  it("unset or blank: on exactly when the script sits in a source checkout", () => {
    for (const v of [undefined, "", "  "]) {
      assert.isTrue(DeveloperMode.decide(v, () => true))
      assert.isFalse(DeveloperMode.decide(v, () => false))
    }
  })
})

describe("GlobalArgs: developer mode and the level's origin", () => {
  const parse = (argv: ReadonlyArray<string>, env: Record<string, string>, checkout = false) =>
    Either.getOrThrow(GlobalArgs.parse(argv, env, () => checkout))

  it("the default level is debug in developer mode (by variable or by checkout), info otherwise; neither is explicit", () => {
    assert.deepInclude(parse(["svc", "status"], {}), { logLevel: "info", logLevelExplicit: false, developerMode: false })
    assert.deepInclude(parse(["svc", "status"], {}, true), { logLevel: "debug", logLevelExplicit: false, developerMode: true })
    assert.deepInclude(parse(["svc", "status"], { RDD_DEVELOPER_MODE: "1" }), { logLevel: "debug", developerMode: true })
    assert.deepInclude(parse(["svc", "status"], { RDD_DEVELOPER_MODE: "false" }, true), { logLevel: "info", developerMode: false })
  })

  it("--log-level or RDD_LOG_LEVEL is explicit and wins over developer mode; a blank RDD_LOG_LEVEL is not", () => {
    assert.deepInclude(parse(["--log-level=warn", "svc", "start"], {}, true), { logLevel: "warning", logLevelExplicit: true })
    assert.deepInclude(parse(["svc", "start"], { RDD_LOG_LEVEL: " trace " }), { logLevel: "trace", logLevelExplicit: true })
    assert.deepInclude(parse(["svc", "start"], { RDD_LOG_LEVEL: " " }), { logLevel: "info", logLevelExplicit: false })
  })
})

describe("Verbosity (klog -v)", () => {
  it("the Go tool's mapping: debug 2, trace 4, anything else 0", () => {
    const levels = ["trace", "debug", "info", "warning", "error", "fatal", "panic"] as const
    assert.deepStrictEqual(levels.map(Verbosity.ofLevel), [4, 2, 0, 0, 0, 0, 0])
  })

  it("the daemon reads it back to the same level for debug and trace; 0 and 1 leave its default", () => {
    assert.strictEqual(Verbosity.levelOf(Verbosity.ofLevel("debug")), "debug")
    assert.strictEqual(Verbosity.levelOf(Verbosity.ofLevel("trace")), "trace")
    assert.isUndefined(Verbosity.levelOf(0))
    assert.isUndefined(Verbosity.levelOf(1))
    assert.strictEqual(Verbosity.levelOf(3), "debug")
    FastCheck.assert(FastCheck.property(FastCheck.nat(999), FastCheck.nat(999), (a, b) => {
      // more verbosity never means a less verbose level
      const rank = (v: number) => ["trace", "debug", undefined].indexOf(Verbosity.levelOf(v))
      if (a <= b) assert.isTrue(rank(a) >= rank(b))
    }))
  })

  it("a start passes -v only when the level was asked for", () => {
    assert.deepStrictEqual(Verbosity.session({ logLevel: "debug", logLevelExplicit: false }), {})
    assert.deepStrictEqual(Verbosity.session({ logLevel: "info", logLevelExplicit: true }), { verbosity: 0 })
    assert.deepStrictEqual(Verbosity.session({ logLevel: "trace", logLevelExplicit: true }), { verbosity: 4 })
  })

  it("create saves -v after the settings, a session appends it; the daemon takes the last", () => {
    const created = DaemonSettings.createArgs(6445, { controllers: Option.some("*"), securePort: Option.none(), verbosity: 2 })
    assert.deepStrictEqual(created, ["--secure-port", "6445", "--controllers", "*", "-v", "2"])
    assert.deepStrictEqual(DaemonSettings.createArgs(6445, DaemonSettings.noSettings), ["--secure-port", "6445", "--controllers", "*"])
    const session = DaemonSettings.settingsArgs({ ...DaemonSettings.noSettings, verbosity: 4 })
    assert.deepStrictEqual(session, ["-v", "4"])
    assert.strictEqual(ServeArgs.verbosity(["svc", "serve", ...created, ...session]), 4)
    assert.strictEqual(ServeArgs.verbosity(["svc", "serve", ...created]), 2)
    assert.strictEqual(ServeArgs.verbosity(["svc", "serve", "--v=3"]), 3)
    assert.isUndefined(ServeArgs.verbosity(["svc", "serve", "--controllers", "*"]))
    // only the daemon reads it
    assert.isUndefined(ServeArgs.verbosity(["svc", "start", "-v", "2"]))
  })
})
