import { execFileSync, spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import * as YAML from "yaml"
import { problems, render, type SeedInput } from "../../src/domain/limavm/Seed.js"
import { PerBootHookPath, perBootHook } from "../../src/domain/limavm/SeedScripts.js"
import { sha256Hex } from "../../src/domain/limavm/Sha256.js"

const dirs: Array<string> = []
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-seed-"))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

const base: SeedInput = {
  vmName: "my.vm",
  user: { name: "alice", uid: 1001, home: "/home/alice.linux", shell: "/bin/bash", comment: `Alice "Al" O'Neil` },
  authorizedKeys: ["ssh-ed25519 AAAAkey1 lima", "ssh-ed25519 AAAAkey2 me@host", "ssh-ed25519 AAAAkey1 lima"],
  provision: [],
  env: {}
}

const fileOf = (files: ReturnType<typeof render>, p: string): string => {
  const f = files.find((x) => x.path === p)
  if (f === undefined) throw new Error(`no ${p} in the seed`)
  return f.content
}

/** Writes the seed to a directory, as the ISO would present it. */
const materialise = (files: ReturnType<typeof render>): string => {
  const dir = tempDir()
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true })
    fs.writeFileSync(path.join(dir, f.path), f.content, { mode: f.mode ?? 0o644 })
  }
  return dir
}

const shells: ReadonlyArray<ReadonlyArray<string>> = [
  ["sh"],
  ...(fs.existsSync("/bin/busybox") ? [["/bin/busybox", "sh"]] : [])
]

describe("Seed.render: cloud-init files", () => {
  it("user-data creates the user with its keys, the hostname and the per-boot hook, and nothing that needs the network", () => {
    const files = render(base)
    const text = fileOf(files, "user-data")
    expect(text.startsWith("#cloud-config\n")).toBe(true)
    const doc = YAML.parse(text)
    expect(doc.hostname).toBe("lima-my-vm")
    expect(doc.ssh_pwauth).toBe(false)
    expect(doc.users).toEqual([{
      name: "alice",
      uid: 1001,
      gecos: `Alice "Al" O'Neil`,
      homedir: "/home/alice.linux",
      shell: "/bin/bash",
      sudo: "ALL=(ALL) NOPASSWD:ALL",
      lock_passwd: true,
      ssh_authorized_keys: ["ssh-ed25519 AAAAkey1 lima", "ssh-ed25519 AAAAkey2 me@host"]
    }])
    const hook = doc.write_files.find((f: { path: string }) => f.path === PerBootHookPath)
    expect(hook.permissions).toBe("0755")
    expect(hook.content).toContain("/dev/disk/by-label/cidata")
    expect(hook.content).toContain("/mnt/rdd-cidata")
    expect(hook.content).toContain("./boot.sh")
    for (const key of ["package_update", "package_upgrade", "packages", "locale", "runcmd"]) expect(doc).not.toHaveProperty(key)
    // host.lima.internal from the first bootcmd, with the default gateway address
    expect(doc.bootcmd[0][0]).toBe("/bin/sh")
    expect(doc.bootcmd[0].at(-1)).toBe("192.168.5.2")
    expect(fileOf(files, "authorized_keys")).toBe("ssh-ed25519 AAAAkey1 lima\nssh-ed25519 AAAAkey2 me@host\n")
  })

  it("boot scripts run from bootcmd with the env, verbatim; other modes become numbered files", () => {
    const script = "echo 'boot' \"$X\" `id` \\\n  done\n"
    const files = render({
      ...base,
      hostIp: "10.0.2.2",
      env: { X: "a b'c" },
      provision: [
        { mode: "system", script: "#!/bin/sh\necho system" },
        { mode: "boot", script },
        { mode: "user", script: "#!/bin/bash\necho user" },
        { mode: "data", path: "/etc/motd", content: "hi\n", permissions: "640" },
        { mode: "dependency", script: "echo dep" }
      ]
    })
    const doc = YAML.parse(fileOf(files, "user-data"))
    expect(doc.bootcmd[0].at(-1)).toBe("10.0.2.2")
    const boot = doc.bootcmd[1] as Array<string>
    expect(boot[0]).toBe("env")
    expect(boot).toContain("RDD_USER=alice")
    expect(boot).toContain("X=a b'c")
    expect(boot.slice(-4)).toEqual(["/bin/sh", "-c", script, "rdd-boot-001"])
    expect(fileOf(files, "boot/001.sh")).toBe(script)
    expect(files.map((f) => f.path).filter((p) => p.startsWith("provision/"))).toEqual([
      "provision/001-system.sh",
      "provision/002-data",
      "provision/002-data.path",
      "provision/002-data.mode",
      "provision/002-data.owner",
      "provision/003-system.sh",
      "provision/004-user.sh"
    ])
    expect(fileOf(files, "provision/001-system.sh")).toBe("echo dep")
    expect(fileOf(files, "provision/004-user.sh")).toBe("#!/bin/bash\necho user")
    expect(fileOf(files, "provision/002-data.owner")).toBe("root:root\n")
  })

  it("meta-data: instance-id follows the content (stable, changes with any script), local-hostname", () => {
    const a = YAML.parse(fileOf(render(base), "meta-data"))
    const b = YAML.parse(fileOf(render(base), "meta-data"))
    const c = YAML.parse(fileOf(render({ ...base, provision: [{ mode: "system", script: "true" }] }), "meta-data"))
    expect(a["local-hostname"]).toBe("lima-my-vm")
    expect(a["instance-id"]).toMatch(/^rdd-[0-9a-f]{32}$/)
    expect(b["instance-id"]).toBe(a["instance-id"])
    expect(c["instance-id"]).not.toBe(a["instance-id"])
  })

  it("network-config: version 2, DHCP on en* and eth*", () => {
    const doc = YAML.parse(fileOf(render(base), "network-config"))
    expect(doc.version).toBe(2)
    const matches = Object.values(doc.ethernets as Record<string, { match: { name: string }; dhcp4: boolean }>)
    expect(matches.map((e) => [e.match.name, e.dhcp4])).toEqual([["en*", true], ["eth*", true]])
  })

  it("rejects inputs that cannot be rendered safely", () => {
    const bad: SeedInput = {
      ...base,
      user: { ...base.user, name: "Al ice" },
      authorizedKeys: ["ssh-ed25519 A\nssh-rsa B"],
      env: { "A-B": "x", RDD_USER: "x", OK: "nul\0" },
      provision: [{ mode: "data", content: "x" }, { mode: "system" }]
    }
    const found = problems(bad).join("\n")
    for (const part of ["user name", "authorized key", "A-B", "reserved", "NUL", "provision[0] (data): path", "provision[1] (system): script"]) {
      expect(found).toContain(part)
    }
    expect(() => render(bad)).toThrow(/invalid seed input/)
    expect(problems(base)).toEqual([])
  })

  it("sha256Hex agrees with node:crypto", () => {
    for (const s of ["", "abc", "a".repeat(55), "a".repeat(56), "b".repeat(64), "ü€😀\0x".repeat(40)]) {
      expect(sha256Hex(s)).toBe(createHash("sha256").update(s, "utf8").digest("hex"))
    }
  })
})

const nasty: Record<string, string> = {
  QUOTES: `it's "quoted" 'twice'`,
  NEWLINES: "line1\nline2\n\n",
  EXPANSIONS: "$HOME $(id) `id` ${X:-y} \\n \\",
  EMPTY: "",
  DASHES: "-n -e --",
  UNICODE: "ünïcødé 😀 \t tab",
  GLOB: "* ? [a] ~"
}

describe("rdd.env", () => {
  it.each(shells)("round-trips nasty values through `.` in %s", (...shell) => {
    const dir = materialise(render({ ...base, env: nasty }))
    for (const [name, value] of Object.entries(nasty)) {
      const out = execFileSync(shell[0]!, [...shell.slice(1), "-c", `. ./rdd.env; printf '%s' "$${name}"`], { cwd: dir })
      expect(out.toString("utf8")).toBe(value)
    }
    const user = execFileSync(shell[0]!, [...shell.slice(1), "-c", `. ./rdd.env; printf '%s|%s|%s|%s' "$RDD_USER" "$RDD_UID" "$RDD_HOSTNAME" "$RDD_HOST_IP"`], { cwd: dir })
    expect(user.toString()).toBe("alice|1001|lima-my-vm|192.168.5.2")
  })
})

/**
 * cloud-init's bootcmd turns a list entry into one line of a /bin/sh script, each element
 * single-quoted with ' as '\'' (cloudinit.util.shellify); reproduced here to run it for real.
 */
const shellify = (commands: ReadonlyArray<ReadonlyArray<string>>): string =>
  "#!/bin/sh\n" + commands.map((c) => c.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ") + "\n").join("")

describe("bootcmd and the per-boot hook", () => {
  it.each(shells)("bootcmd runs boot scripts verbatim with the env, and sets host.lima.internal (%s)", (...shell) => {
    const root = tempDir()
    fs.mkdirSync(path.join(root, "etc"))
    fs.writeFileSync(path.join(root, "etc/hosts"), "127.0.0.1 localhost\n")
    const out = path.join(root, "out")
    const script = `printf '%s|%s|%s\\n' "$RDD_USER" "$WEIRD" 'it'"'"'s' >${JSON.stringify(out)}\nexit 0\n`
    const doc = YAML.parse(fileOf(render({ ...base, hostIp: "10.1.2.3", env: { WEIRD: nasty["EXPANSIONS"]! }, provision: [{ mode: "boot", script }] }), "user-data"))
    const file = path.join(root, "bootcmd.sh")
    fs.writeFileSync(file, shellify(doc.bootcmd))
    const r = spawnSync(shell[0]!, [...shell.slice(1), file], { env: { PATH: process.env["PATH"] ?? "", RDD_ROOT: root }, encoding: "utf8" })
    expect(r.status, r.stderr).toBe(0)
    expect(fs.readFileSync(out, "utf8")).toBe(`alice|${nasty["EXPANSIONS"]}|it's\n`)
    expect(fs.readFileSync(path.join(root, "etc/hosts"), "utf8")).toBe("127.0.0.1 localhost\n10.1.2.3\thost.lima.internal\n")
  })

  it.each(shells)("the per-boot hook and boot.sh are valid POSIX sh (%s -n)", (...shell) => {
    const bootSh = fileOf(render(base), "boot.sh")
    for (const text of [perBootHook, bootSh]) {
      const r = spawnSync(shell[0]!, [...shell.slice(1), "-n"], { input: text, encoding: "utf8" })
      expect(r.status, r.stderr).toBe(0)
    }
  })
})

describe("boot.sh, run for real in a temp root", () => {
  const setup = (provision: SeedInput["provision"], home: string, trace: string) => {
    const root = tempDir()
    fs.mkdirSync(path.join(root, "etc"))
    fs.writeFileSync(path.join(root, "etc/hosts"), "127.0.0.1\tlocalhost\n10.9.9.9 host.lima.internal old\n")
    const seed = materialise(render({
      ...base,
      // root here: the tests run as root and `su -l root` needs no password
      user: { name: "root", uid: 0, home, shell: "/bin/sh" },
      env: { TRACE: trace, GREETING: nasty["QUOTES"]! + nasty["NEWLINES"]! },
      provision
    }))
    return { root, seed }
  }
  const run = (shell: ReadonlyArray<string>, seed: string, root: string, extra: Record<string, string> = {}) =>
    spawnSync(shell[0]!, [...shell.slice(1), "./boot.sh"], {
      cwd: seed,
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", RDD_ROOT: root, RDD_USER_SESSION_WAIT: "0", ...extra },
      encoding: "utf8",
      timeout: 30_000
    })

  it.each(shells)("runs boot/, data, then system and user scripts in order with the env exported (%s)", (...shell) => {
    const home = tempDir()
    const trace = path.join(tempDir(), "trace")
    const record = (tag: string) => `printf '%s %s|%s\\n' ${tag} "$(id -un)" "$GREETING" >>"$TRACE"`
    const { root, seed } = setup([
      { mode: "user", script: `#!/bin/sh\n${record("user")}\n[ -f "$RDD_HOME/.rdd-user-script" ]` },
      { mode: "system", script: `#!/bin/sh\nset -e\n${record("system")}\ntest "$(cat "$RDD_ROOT/etc/motd")" = motd` },
      { mode: "boot", script: record("boot") },
      { mode: "data", path: "/etc/motd", content: "motd\n", permissions: "640" },
      { mode: "dependency", script: record("dependency") }
    ], home, trace)
    const result = run(shell, seed, root)
    expect(result.status, result.stderr + result.stdout).toBe(0)
    const greeting = (nasty["QUOTES"]! + nasty["NEWLINES"]!)
    // boot first, then dependency; user and system keep their template order (user first here)
    expect(fs.readFileSync(trace, "utf8")).toBe(["boot", "dependency", "user", "system"].map((tag) => `${tag} root|${greeting}\n`).join(""))
    expect(fs.readFileSync(path.join(root, "run/rdd/boot-done"), "utf8")).toBe("ok\n")
    expect(fs.existsSync(path.join(root, "run/rdd/boot-done.tmp"))).toBe(false)
    expect((fs.statSync(path.join(root, "etc/motd")).mode & 0o777).toString(8)).toBe("640")
    expect(fs.readFileSync(path.join(root, "etc/hosts"), "utf8")).toBe("127.0.0.1\tlocalhost\n192.168.5.2\thost.lima.internal\n")
    expect(fs.existsSync(path.join(home, ".rdd-user-script"))).toBe(false)
    const log = fs.readFileSync(path.join(root, "var/log/rdd-provision.log"), "utf8")
    expect(log).toContain("running provision/004-system.sh as root")
    expect(log).toContain("running provision/003-user.sh as root")
  })

  it.each(shells)("stops at the first failing script and reports it in boot-done (%s)", (...shell) => {
    const trace = path.join(tempDir(), "trace")
    const { root, seed } = setup([
      { mode: "system", script: `echo one >>"$TRACE"` },
      { mode: "system", script: `echo two >>"$TRACE"; exit 3` },
      { mode: "system", script: `echo three >>"$TRACE"` }
    ], tempDir(), trace)
    const result = run(shell, seed, root)
    expect(result.status).toBe(3)
    expect(fs.readFileSync(trace, "utf8")).toBe("one\ntwo\n")
    expect(fs.readFileSync(path.join(root, "run/rdd/boot-done"), "utf8")).toBe("failed provision/002-system.sh exit 3\n")
  })

  it("skips boot/ when cloud-init's bootcmd already ran it, and honours RDD_RUN_DIR and RDD_LOG", () => {
    const trace = path.join(tempDir(), "trace")
    const elsewhere = tempDir()
    const { root, seed } = setup([
      { mode: "boot", script: `echo boot >>"$TRACE"` },
      { mode: "system", script: `echo system >>"$TRACE"` }
    ], tempDir(), trace)
    const result = run(["sh"], seed, root, {
      RDD_BOOT_SCRIPTS_DONE: "1",
      RDD_RUN_DIR: path.join(elsewhere, "run"),
      RDD_LOG: path.join(elsewhere, "log/provision.log")
    })
    expect(result.status, result.stderr).toBe(0)
    expect(fs.readFileSync(trace, "utf8")).toBe("system\n")
    expect(fs.readFileSync(path.join(elsewhere, "run/boot-done"), "utf8")).toBe("ok\n")
    expect(fs.readFileSync(path.join(elsewhere, "log/provision.log"), "utf8")).toContain("provisioning done")
    expect(fs.existsSync(path.join(root, "run"))).toBe(false)
  })
})
