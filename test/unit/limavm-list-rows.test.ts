/** `rdd limavm list`'s rows: limactl's columns from the LimaVM and its template copy. */
import { assert, describe, it } from "@effect/vitest"
import type { KubeObject } from "../../src/domain/KubeObject.js"
import * as LimaVm from "../../src/domain/LimaVm.js"
import * as Rows from "../../src/commands/limavm/rows.js"

const vmOf = (status: Record<string, unknown>, extra: Partial<KubeObject["metadata"]> = {}) =>
  LimaVm.fromObject({
    apiVersion: LimaVm.ApiVersion,
    kind: LimaVm.Kind,
    metadata: { name: "vm1", namespace: "default", creationTimestamp: "2026-12-04T10:00:00Z", ...extra },
    spec: { templateRef: { name: "t" }, running: true },
    status
  })

const cond = (type: string, status: string, reason: string) => ({ type, status, reason, message: "m", lastTransitionTime: "2026-12-04T10:00:01Z" })

describe("limavm list rows", () => {
  it("reads vmType, arch, cpus, memory and disk from the template; the host's arch by default", () => {
    const vm = vmOf({ conditions: [cond("Created", "True", "Created"), cond("Running", "True", "Started")], restartCount: 2 })
    const row = Rows.rowOf({ vm, template: "cpus: 2\nmemory: 1.5GiB\ndisk: 10GiB\nimages:\n- location: /img.raw\n", dir: "/l/vm1", hostArch: "aarch64" })
    assert.deepInclude(row, { status: "Running", vmType: "qemu", arch: "aarch64", cpus: 2, memoryBytes: 1.5 * 1024 ** 3, diskBytes: 10 * 1024 ** 3, restarts: 2, ssh: null })
    assert.deepStrictEqual(row.conditions[1] as unknown, cond("Running", "True", "Started"))
    assert.strictEqual(row.creationTimestamp, "2026-12-04T10:00:00Z")
    const line = Rows.table([row]).split("\n")[1]!.split(/\s+/)
    assert.deepStrictEqual(line, ["vm1", "default", "Running", "-", "qemu", "aarch64", "2", "1.5GiB", "10GiB", "2", "/l/vm1"])
  })

  it("shows 127.0.0.1:<port> once status.sshLocalPort is set", () => {
    const row = Rows.rowOf({ vm: vmOf({ conditions: [], sshLocalPort: 60022 }), template: undefined, dir: "/d", hostArch: "x86_64" })
    assert.strictEqual(row.ssh, "127.0.0.1:60022")
    assert.deepInclude(row, { vmType: null, cpus: null, memoryBytes: null })
    assert.match(Rows.table([row]), /127\.0\.0\.1:60022\s+-\s+-\s+-\s+-\s+-/)
  })

  it("status words: failures by reason, Starting, Pending, Stopped, Deleting", () => {
    const status = (conditions: ReadonlyArray<unknown>, extra = {}) => Rows.statusOf(vmOf({ conditions }, extra))
    assert.strictEqual(status([cond("Created", "True", "Created"), cond("Running", "False", "StartFailed")]), "StartFailed")
    assert.strictEqual(status([cond("Created", "False", "CreateFailed")]), "CreateFailed")
    assert.strictEqual(status([cond("Created", "True", "Created"), cond("Running", "False", "Starting")]), "Starting")
    assert.strictEqual(status([cond("Created", "Unknown", "Pending")]), "Pending")
    assert.strictEqual(status([cond("Created", "True", "Created"), cond("Running", "False", "Stopped")]), "Stopped")
    assert.strictEqual(status([], { deletionTimestamp: "2026-12-04T10:00:00Z" }), "Deleting")
  })

  it("sizes as limactl prints them", () => {
    assert.deepStrictEqual([512 * 1024 ** 2, 4 * 1024 ** 3, 1.5 * 1024 ** 3, 100].map(Rows.formatBytes), ["512MiB", "4GiB", "1.5GiB", "100B"])
  })
})
