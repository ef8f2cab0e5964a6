/** The qemu driver's pure parts and its QMP client, without QEMU: argv, accelerator choice, serial scanning, QMP protocol. */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as LimaTemplate from "../../src/domain/LimaTemplate.js"
import * as Accelerator from "../../src/layers/qemu/Accelerator.js"
import * as Qmp from "../../src/layers/qemu/Qmp.js"
import * as QemuArgs from "../../src/layers/qemu/QemuArgs.js"
import * as SerialLog from "../../src/layers/qemu/SerialLog.js"

const tmp: Array<string> = []
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "rddqu-"))
  tmp.push(d)
  return d
}
afterEach(() => {
  for (const d of tmp.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

describe("QemuArgs", () => {
  const files = QemuArgs.vmFiles("/h/.rd2/lima/", "vm1")
  it("puts every VM file under <lima_home>/<name>/", () => {
    assert.deepStrictEqual(files, {
      dir: "/h/.rd2/lima/vm1",
      template: "/h/.rd2/lima/vm1/lima.yaml",
      disk: "/h/.rd2/lima/vm1/diffdisk",
      qmp: "/h/.rd2/lima/vm1/qmp.sock",
      pid: "/h/.rd2/lima/vm1/qemu.pid",
      serial: "/h/.rd2/lima/vm1/serial.log",
      previousSerial: "/h/.rd2/lima/vm1/serial.1.log",
      log: "/h/.rd2/lima/vm1/qemu.log",
      seed: "/h/.rd2/lima/vm1/cidata.iso",
      sshKey: "/h/.rd2/lima/vm1/id_ed25519",
      sshConfig: "/h/.rd2/lima/vm1/ssh.config",
      sshControl: "/h/.rd2/lima/vm1/ssh.sock",
      boot: "/h/.rd2/lima/vm1/boot.json",
      agentLog: "/h/.rd2/lima/vm1/ha.log",
      readyPid: "/h/.rd2/lima/vm1/ready.pid"
    })
  })

  it("attaches the seed read-only and gives the guest Lima's user-mode network with SSH forwarded", () => {
    const argv = QemuArgs.args(
      { name: "vm1", arch: "x86_64", cpus: 1, memoryMiB: 256, accel: "tcg" },
      { seed: "/s.iso", network: { sshLocalPort: 60022, mac: QemuArgs.macFor("vm1") } },
      files
    ).join(" ")
    assert.include(argv, "-drive file=/s.iso,format=raw,if=virtio,media=cdrom,readonly=on")
    assert.include(argv, "-netdev user,id=net0,net=192.168.5.0/24,dhcpstart=192.168.5.15,hostfwd=tcp:127.0.0.1:60022-:22")
    assert.match(argv, /-device virtio-net-pci,netdev=net0,mac=52:55:55(:[0-9a-f]{2}){3} -device virtio-rng-pci/)
    assert.strictEqual(QemuArgs.macFor("vm1"), QemuArgs.macFor("vm1"))
    const fs = QemuArgs.args(
      { name: "vm1", arch: "x86_64", cpus: 1, memoryMiB: 256, accel: "tcg" },
      { virtiofs: [{ tag: "rdd-mount0", socket: "/v/vfs.0.sock" }], ninep: [{ tag: "rdd-mount1", path: "/h,x", readonly: true }] },
      files
    ).join(" ")
    assert.include(fs, "-object memory-backend-memfd,id=mem,size=256M,share=on -numa node,memdev=mem")
    assert.include(fs, "-chardev socket,id=vfs0,path=/v/vfs.0.sock -device vhost-user-fs-pci,chardev=vfs0,tag=rdd-mount0")
    assert.include(fs, "-virtfs local,path=/h,,x,mount_tag=rdd-mount1,security_model=none,id=fs0,readonly=on")
    assert.notStrictEqual(QemuArgs.macFor("vm1"), QemuArgs.macFor("vm2"))
  })

  it("builds the measured fast-boot command line for direct kernel boot", () => {
    const argv = QemuArgs.args(
      { name: "vm1", arch: "x86_64", cpus: 2, memoryMiB: 256, accel: "tcg" },
      { kernel: "/k", initrd: "/i", cmdline: "console=ttyS0 qg.id=vm1", disk: { path: "/d,x", format: "raw" } },
      files
    )
    assert.deepStrictEqual(argv, [
      "-name", "vm1,process=qvm-vm1", "-nodefaults", "-no-user-config", "-display", "none",
      "-machine", "pc", "-accel", "tcg", "-m", "256", "-smp", "2",
      "-kernel", "/k", "-initrd", "/i", "-append", "console=ttyS0 qg.id=vm1",
      "-drive", "file=/d,,x,format=raw,if=virtio,discard=on",
      "-chardev", "file,id=ser0,path=/h/.rd2/lima/vm1/serial.log", "-serial", "chardev:ser0",
      "-qmp", "unix:/h/.rd2/lima/vm1/qmp.sock,server=on,wait=off",
      "-pidfile", "/h/.rd2/lima/vm1/qemu.pid", "-D", "/h/.rd2/lima/vm1/qemu.log", "-no-reboot", "-daemonize"
    ])
  })

  it("uses the host CPU model only with a hardware accelerator", () => {
    const kvm = QemuArgs.args({ name: "a", arch: "x86_64", cpus: 1, memoryMiB: 128, accel: "kvm" }, {}, files)
    assert.include(kvm.join(" "), "-accel kvm -cpu host")
    const arm = QemuArgs.args({ name: "a", arch: "aarch64", cpus: 1, memoryMiB: 128, accel: "tcg" }, {}, files)
    assert.include(arm.join(" "), "-machine virt -accel tcg -cpu max")
    assert.strictEqual(QemuArgs.binaryFor("aarch64"), "qemu-system-aarch64")
  })

  it("expands {{.Name}} in the cmdline and the ready line, with defaults", () => {
    const t = Either.getOrThrow(LimaTemplate.parse(`images: [{location: /d, kernel: {location: /k, cmdline: "x id={{.Name}}"}}]`))
    assert.strictEqual(QemuArgs.cmdlineFor(t.images[0]!.kernel!, "vm9", "x86_64"), "x id=vm9")
    assert.strictEqual(QemuArgs.cmdlineFor({ location: "/k", arch: "x86_64" }, "vm9", "x86_64"), "console=ttyS0")
    assert.strictEqual(QemuArgs.readyLineFor(t, "vm9"), "login:")
  })
})

describe("Accelerator", () => {
  const linux: Accelerator.HostFacts = { platform: "linux", arch: "x64", kvmDevice: true, virtFlags: true, kvmVendorModule: true, hvfSupport: false }
  it("settles nested-virtualisation hosts without a probe", () => {
    assert.strictEqual((Accelerator.classify({ ...linux, kvmDevice: false }) as Accelerator.Verdict).accel, "tcg")
    // This very host: /dev/kvm exists, but no vmx/svm flag (kvm_pvm only).
    const nested = Accelerator.classify({ ...linux, virtFlags: false, kvmVendorModule: false }) as Accelerator.Verdict
    assert.strictEqual(nested.accel, "tcg")
    assert.include(nested.reason, "vmx/svm")
    assert.strictEqual(Accelerator.classify(linux), "probe")
    // vmx/svm are x86 words: an arm64 host with /dev/kvm goes to the probe.
    assert.strictEqual(Accelerator.classify({ ...linux, arch: "arm64", virtFlags: false, kvmVendorModule: false }), "probe")
    assert.strictEqual((Accelerator.classify({ ...linux, platform: "darwin", hvfSupport: true }) as Accelerator.Verdict).accel, "hvf")
  })

  it.effect("RDD_QEMU_ACCEL overrides, and a bad value is an error", () =>
    Effect.gen(function*() {
      const base = { qemu: "/nonexistent/qemu", probeKernel: undefined, cacheFile: "/nonexistent/c.json", facts: linux }
      assert.strictEqual((yield* Accelerator.detect({ ...base, override: "tcg" })).accel, "tcg")
      assert.include(yield* Effect.flip(Accelerator.detect({ ...base, override: "fast" })), "RDD_QEMU_ACCEL must be kvm, hvf or tcg")
      assert.strictEqual((yield* Accelerator.detect({ ...base, override: undefined })).accel, "kvm")
    }))

  it.effect("a probe that cannot run QEMU falls back to TCG and is cached", () =>
    Effect.gen(function*() {
      const cacheFile = path.join(tempDir(), "accel.json")
      const options = { override: undefined, qemu: "/nonexistent/qemu", probeKernel: "/k", cacheFile, facts: linux }
      const first = yield* Accelerator.detect(options)
      assert.strictEqual(first.accel, "tcg")
      assert.include(first.reason, "could not run")
      const second = yield* Accelerator.detect(options)
      assert.include(second.reason, "(cached)")
    }))
})

describe("Accelerator.probeKvm", () => {
  /** A stand-in for qemu-system-x86_64 that behaves like a working, hanging or crashing KVM. */
  const fakeQemu = (body: string) => {
    const file = path.join(tempDir(), "qemu")
    fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 })
    return file
  }
  it.effect("a boot that reaches the kernel means KVM works", () =>
    Effect.gen(function*() {
      const v = yield* Accelerator.probeKvm(fakeQemu(`echo "[0.0] Linux version 6.1"; echo "Kernel panic - not syncing"; exit 0`), "/k", 3000)
      assert.strictEqual(v.accel, "kvm")
    }))
  it.live("a hanging boot is killed at the bound and means TCG", () =>
    Effect.gen(function*() {
      const t0 = Date.now()
      const v = yield* Accelerator.probeKvm(fakeQemu(`echo "Probing EDD (edd=off to disable)... ok"; exec sleep 60`), "/k", 400)
      assert.strictEqual(v.accel, "tcg")
      assert.include(v.reason, "hung")
      assert.isBelow(Date.now() - t0, 3000)
    }))
  it.effect("an aborting QEMU means TCG", () =>
    Effect.gen(function*() {
      const v = yield* Accelerator.probeKvm(fakeQemu(`echo "kvm_buf_set_msrs: Assertion failed" >&2; kill -ABRT $$`), "/k", 3000)
      assert.strictEqual(v.accel, "tcg")
    }))
})

describe("SerialLog", () => {
  it("finds the ready line across chunks, with \\r\\n endings and in an unfinished prompt", () => {
    const file = path.join(tempDir(), "serial.log")
    fs.writeFileSync(file, "Probing EDD... ok\r\n\r\nQGUEST-READY id=vm")
    let scan = SerialLog.advance(file, "QGUEST-READY id=vm1 ", SerialLog.initialScan)
    assert.isFalse(scan.ready)
    fs.appendFileSync(file, "10 cpus=1\r\n")
    scan = SerialLog.advance(file, "QGUEST-READY id=vm1 ", scan)
    assert.isFalse(scan.ready, "vm10 is not vm1")
    fs.appendFileSync(file, "QGUEST-READY id=vm1 cpus=1 memkb=1\r\n")
    scan = SerialLog.advance(file, "QGUEST-READY id=vm1 ", scan)
    assert.isTrue(scan.ready)
    const prompt = path.join(tempDir(), "p.log")
    fs.writeFileSync(prompt, "Debian GNU/Linux 12 debian ttyS0\r\n\r\ndebian login: ")
    assert.isTrue(SerialLog.advance(prompt, "login:", SerialLog.initialScan).ready)
    assert.isFalse(SerialLog.advance(path.join(tempDir(), "none"), "x", SerialLog.initialScan).ready)
  })

  it("starts over when the log was truncated by a new boot, and tails the last lines", () => {
    const file = path.join(tempDir(), "serial.log")
    fs.writeFileSync(file, "a\r\nb\r\nc\r\n".repeat(10))
    const scan = SerialLog.advance(file, "READY", SerialLog.initialScan)
    fs.writeFileSync(file, "READY\r\n")
    assert.isTrue(SerialLog.advance(file, "READY", scan).ready)
    fs.writeFileSync(file, "one\r\ntwo\r\n\r\nthree\r\n")
    assert.strictEqual(SerialLog.tail(file, 2), "two\nthree")
  })
})

describe("Qmp", () => {
  /** A QMP server that greets, negotiates and answers from a table (or never greets when frozen). */
  const fakeQmp = (socketPath: string, answers: Record<string, unknown>, options: { frozen?: boolean; closeOn?: string } = {}) =>
    Effect.acquireRelease(
      Effect.async<net.Server>((resume) => {
        const received: Array<string> = []
        const server = net.createServer((c) => {
          if (options.frozen === true) return
          c.write(`{"QMP":{"version":{"qemu":{"major":7}},"capabilities":["oob"]}}\r\n`)
          let buf = ""
          c.on("data", (d) => {
            buf += d.toString()
            let i
            while ((i = buf.indexOf("\n")) >= 0) {
              const msg = JSON.parse(buf.slice(0, i)) as { execute: string }
              buf = buf.slice(i + 1)
              received.push(msg.execute)
              c.write(`{"timestamp":{},"event":"NOISE"}\r\n`)
              if (msg.execute === options.closeOn) c.destroy()
              else if (msg.execute === "qmp_capabilities") c.write(`{"return":{}}\r\n`)
              else if (msg.execute in answers) c.write(JSON.stringify({ return: answers[msg.execute] }) + "\r\n")
              else c.write(`{"error":{"class":"CommandNotFound","desc":"The command ${msg.execute} has not been found"}}\r\n`)
            }
          })
        })
        server.listen(socketPath, () => resume(Effect.succeed(server)))
      }),
      (server) => Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.unref()
      })
    )

  it.scoped("runs commands after the handshake, skipping events", () =>
    Effect.gen(function*() {
      const sock = path.join(tempDir(), "qmp.sock")
      yield* fakeQmp(sock, { "query-status": { status: "running", running: true } })
      assert.deepStrictEqual(yield* Qmp.execute(sock, "query-status"), { status: "running", running: true })
      const err = yield* Effect.flip(Qmp.execute(sock, "bogus"))
      assert.strictEqual(err.reason, "command")
      assert.include(err.message, "bogus has not been found")
    }))

  it.scoped("classifies absent, refused, frozen and closing QEMUs", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      assert.strictEqual((yield* Effect.flip(Qmp.execute(path.join(dir, "none.sock"), "query-status"))).reason, "absent")
      // A socket file with nobody listening: what a SIGKILLed QEMU leaves behind.
      const stale = path.join(dir, "stale.sock")
      spawnSync(process.execPath, ["-e", `require("net").createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, "SIGKILL"))`])
      assert.isTrue(fs.existsSync(stale))
      assert.strictEqual((yield* Effect.flip(Qmp.execute(stale, "query-status"))).reason, "refused")
      const frozen = path.join(dir, "frozen.sock")
      yield* fakeQmp(frozen, {}, { frozen: true })
      const t0 = Date.now()
      assert.strictEqual((yield* Effect.flip(Qmp.execute(frozen, "query-status", undefined, 300))).reason, "timeout")
      assert.isBelow(Date.now() - t0, 2000)
      const quitting = path.join(dir, "quit.sock")
      yield* fakeQmp(quitting, {}, { closeOn: "quit" })
      yield* Qmp.executeFinal(quitting, "quit")
    }))
})
