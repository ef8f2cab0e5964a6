/**
 * `rdd ctl wait-condition` argument parsing (the Go tool's texts, exit 2) and the
 * match rule (first condition of the type, status, reason, --since at or after
 * the second).
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Either } from "effect"
import type { KubeObject } from "../../src/domain/KubeObject.js"
import * as WaitCondition from "../../src/services/WaitCondition.js"

const parsed = (args: ReadonlyArray<string>) => Either.getOrThrow(WaitCondition.parseArgs(args))
const error = (args: ReadonlyArray<string>) =>
  Either.match(WaitCondition.parseArgs(args), { onLeft: (e) => `${e._tag}: ${e.message}`, onRight: () => "ok" })

describe("wait-condition arguments", () => {
  it("TYPE[.GROUP]/NAME COND[=STATUS] with flags anywhere", () => {
    const r = parsed(["--reason", "Started", "limavm.lima.rancherdesktop.io/vm1", "-n", "ns1", "Running=False", "--timeout=5m", "--since=startup"])
    assert.isTrue(Duration.equals(r.timeout, Duration.minutes(5)))
    assert.deepStrictEqual({ ...r, timeout: null }, {
      resource: "limavm",
      group: "lima.rancherdesktop.io",
      name: "vm1",
      condition: "Running",
      status: "False",
      reason: "Started",
      since: "startup",
      timeout: null,
      namespace: "ns1"
    })
    const d = parsed(["limavm/vm1", "Running"])
    assert.strictEqual(d.status, "True")
    assert.strictEqual(d.namespace, "default")
    assert.isTrue(Duration.equals(d.timeout, Duration.seconds(30)))
  })

  it("bad arguments are usage errors with the Go tool's messages", () => {
    assert.strictEqual(error(["limavm/vm1"]), "UsageError: expected TYPE/NAME and CONDITION[=STATUS] arguments, got 1 arguments")
    assert.strictEqual(error(["limavm", "Running"]), `UsageError: expected TYPE/NAME, got "limavm"`)
    assert.strictEqual(error(["/vm1", "Running"]), `UsageError: both TYPE and NAME must be non-empty in "/vm1"`)
    assert.strictEqual(error(["limavm/vm1", "=True"]), `UsageError: condition type must not be empty in "=True"`)
    assert.match(error(["limavm/vm1", "Running", "--since", "yesterday"]), /^UsageError: invalid --since timestamp "yesterday": /)
    assert.match(error(["limavm/vm1", "Running", "--timeout", "10"]), /^UsageError: invalid value "10" for --timeout/)
    assert.strictEqual(error(["limavm/vm1", "Running", "--bogus"]), "UsageError: unknown flag: --bogus")
  })
})

describe("wait-condition match", () => {
  const obj = (conditions: ReadonlyArray<Record<string, string>>): KubeObject => ({
    apiVersion: "v1",
    kind: "X",
    metadata: { name: "x" },
    status: { conditions }
  })
  const req = (extra: Partial<WaitCondition.Request> = {}): WaitCondition.Request => ({
    resource: "limavm",
    name: "x",
    condition: "Running",
    status: "True",
    timeout: Duration.seconds(30),
    namespace: "default",
    ...extra
  })
  const running = { type: "Running", status: "True", reason: "Started", lastTransitionTime: "2026-11-26T10:00:05Z" }

  it("status and reason must match; an absent condition keeps waiting", () => {
    assert.isTrue(WaitCondition.satisfied(obj([running]), req(), undefined))
    assert.isFalse(WaitCondition.satisfied(obj([running]), req({ status: "False" }), undefined))
    assert.isFalse(WaitCondition.satisfied(obj([running]), req({ reason: "Starting" }), undefined))
    assert.isFalse(WaitCondition.satisfied(obj([]), req(), undefined))
  })

  it("--since: a transition in the same second counts (reference defect 172), an earlier one does not", () => {
    assert.isTrue(WaitCondition.satisfied(obj([running]), req(), Date.parse("2026-11-26T10:00:05Z")))
    assert.isFalse(WaitCondition.satisfied(obj([running]), req(), Date.parse("2026-11-26T10:00:06Z")))
  })
})
