/**
 * Parity with the Go tool's everyday command lines (issue 14), through the built
 * binary: the empty `--controllers`, an empty `--instance=`, `--version=VALUE`,
 * clean output on a pipe, shell completion as a command.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { messages, rddBin, runRdd, tempHome } from "../support/rdd.js"
import { useInstances } from "./lifecycle-support.js"

const instance = useInstances(90_000)

describe("--controllers accepts the empty value: only the builtin controllers", () => {
  it.each([["--controllers="], ["--controllers", ""]])("svc create %j saves it in args.json, and start runs no optional controller", async (...flag) => {
    const i = instance()
    const create = await i.rdd(["svc", "create", ...flag])
    expect(create.code).toBe(0)
    const saved = JSON.parse(fs.readFileSync(path.join(i.dir, "args.json"), "utf8")) as Array<string>
    // then the level as klog -v, as the Go tool saves it (info: 0)
    expect(saved.slice(saved.indexOf("--controllers"))).toEqual(["--controllers", "", "-v", "0"])
    expect((await i.rdd(["svc", "start"])).code).toBe(0)
    const crds = await i.rdd(["ctl", "get", "crd", "-o", "name"])
    expect(crds.code).toBe(0)
    expect(crds.stdout).toBe("")
    const log = (await i.rdd(["svc", "log"])).stdout
    expect(log).toContain("controller namespace started")
    expect(log).not.toMatch(/controller (app|limavm) started/)
    expect((await i.rdd(["svc", "stop"])).code).toBe(0)
  })

  it("svc start --controllers= asks for the same thing as a create with it", async () => {
    const i = instance()
    expect((await i.rdd(["svc", "start", "--controllers="])).code).toBe(0)
    expect((await i.rdd(["ctl", "get", "crd", "-o", "name"])).stdout).toBe("")
    expect((await i.rdd(["svc", "stop"])).code).toBe(0)
  })

  it("a name that exists nowhere is still a usage error", async () => {
    const i = instance()
    const r = await i.rdd(["svc", "create", "--controllers=nosuch"])
    expect(r.code).toBe(2)
    expect(r.messages.at(-1)).toContain(`unknown controller "nosuch"`)
    expect(fs.existsSync(i.dir)).toBe(false)
  })
})

describe("--instance= (empty) is ignored", () => {
  it("uses RDD_INSTANCE, or the default instance 2", async () => {
    const { home, cleanup } = tempHome()
    try {
      const dflt = await runRdd(["--instance=", "svc", "paths", "dir"], { home })
      expect(dflt.code).toBe(0)
      expect(dflt.stdout).toBe(`${home}/.local/share/rancher-desktop-2\n`)
      const env = await runRdd(["--instance=", "svc", "paths", "dir"], { home, env: { RDD_INSTANCE: "pty" } })
      expect(env.stdout).toBe(`${home}/.local/share/rancher-desktop-pty\n`)
    } finally {
      cleanup()
    }
  })
})

describe("--version=VALUE", () => {
  it("raw prints the six build lines; true and no value the version line; any other value itself", async () => {
    const raw = await runRdd(["--version=raw"])
    expect(raw.code).toBe(0)
    const lines = raw.stdout.trimEnd().split("\n")
    expect(lines.map((l) => l.split(":")[0])).toEqual(["Version", "GitCommit", "BuildDate", "NodeVersion", "Compiler", "Platform"])
    expect(lines[0]).toMatch(/^Version: v\d+\.\d+\.\d+/)
    expect(lines[3]).toBe(`NodeVersion: ${process.version}`)
    expect(lines[5]).toBe(`Platform: ${process.platform}/${process.arch === "x64" ? "amd64" : process.arch}`)
    const plain = (await runRdd(["--version"])).stdout
    expect((await runRdd(["--version=true"])).stdout).toBe(plain)
    const pinned = await runRdd(["--version=v9.8.7"])
    expect(pinned.code).toBe(0)
    expect(pinned.stdout).toBe("v9.8.7\n")
    // the root flag answers whatever follows it, also after a leading --instance
    expect((await runRdd(["--instance", "x", "--version=raw", "svc", "status"])).stdout).toBe(raw.stdout)
  })
})

describe("clean output: no escape codes on a pipe or with NO_COLOR, no runtime lines", () => {
  it("help and messages on a pipe carry no ANSI escape", async () => {
    const { home, cleanup } = tempHome()
    try {
      for (const args of [["--help"], ["svc", "--help"], ["svc", "start", "--help"], ["svc", "status"], ["no-such-command"]]) {
        const r = await runRdd(args, { home })
        expect(r.stdout + r.stderr).not.toContain("\x1b")
      }
    } finally {
      cleanup()
    }
  })

  it("NO_COLOR on a terminal gives plain lines (script(1) provides the terminal)", async () => {
    const { home, cleanup } = tempHome()
    try {
      const onTty = (env: Record<string, string | undefined>) =>
        runRdd(["-qec", `${JSON.stringify(process.execPath)} ${JSON.stringify(rddBin)} svc status`, "/dev/null"], { home, env, bin: "script" })
      const coloured = await onTty({ NO_COLOR: undefined })
      expect(coloured.stdout).toContain("\x1b[") // the test can tell: a terminal gets colour
      const plain = await onTty({ NO_COLOR: "1" })
      expect(plain.code).toBe(0)
      expect(plain.stdout).toContain("control plane has been created: false")
      expect(plain.stdout).not.toContain("\x1b")
    } finally {
      cleanup()
    }
  })

  it.each([[["svc", "paths", "nokey"]], [["limavm", "logs", "nosuch"]], [["svc", "start", "--timeout=bogus"]]])(
    "no \"Fiber terminated\" line at trace level: rdd %j",
    async (args) => {
      const { home, cleanup } = tempHome()
      try {
        const r = await runRdd(["--log-level=trace", ...args], { home })
        expect(r.code).not.toBe(0)
        expect(r.stderr).toMatch(/level=fatal/)
        expect(r.stderr).not.toContain("Fiber terminated")
      } finally {
        cleanup()
      }
    }
  )

  it("the daemon's log names the API server as it comes up and serves", async () => {
    const i = instance()
    expect((await i.rdd(["svc", "start"])).code).toBe(0)
    const server = /server: (https:\/\/127\.0\.0\.1:\d+)/.exec(fs.readFileSync(path.join(i.dir, "config.yaml"), "utf8"))![1]!
    const log = (await i.rdd(["svc", "logs"])).stdout
    expect(log).toContain(`API server listening on ${server}`)
    expect(log).toContain(`API server serving on ${server} (kubeconfig ${path.join(i.dir, "config.yaml")})`)
    expect(log).not.toContain("Fiber terminated")
    expect((await i.rdd(["svc", "stop"])).code).toBe(0)
  })
})

describe("rdd completion bash|zsh|fish", () => {
  it("the bash script, sourced in bash, completes `rdd svc st<TAB>`", async () => {
    const r = await runRdd(["completion", "bash"])
    expect(r.code).toBe(0)
    const { home, cleanup } = tempHome()
    try {
      const script = path.join(home, "rdd.bash")
      fs.writeFileSync(script, r.stdout)
      const out = await runRdd(["-c", `source ${JSON.stringify(script)}
COMP_WORDS=(rdd svc st); COMP_CWORD=2
"$(complete -p rdd | sed -E 's/.* -F ([^ ]+) .*/\\1/')" rdd st svc
printf '%s\\n' "\${COMPREPLY[@]}"`], { bin: "bash" })
      expect(out.stderr).toBe("")
      expect(out.stdout.trim().split("\n").sort()).toEqual(["start", "status", "stop"])
    } finally {
      cleanup()
    }
  })

  it("zsh and fish scripts name rdd; another shell is a usage error", async () => {
    expect((await runRdd(["completion", "zsh"])).stdout).toMatch(/^#compdef rdd/)
    expect((await runRdd(["completion", "fish"])).stdout).toContain("complete -c rdd")
    const bad = await runRdd(["completion", "tcsh"])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('unknown shell \\"tcsh\\": expected bash, zsh or fish')
  })
})

describe("the rdd sample controller group: ConfigMapReplicaSet", () => {
  const cmrs = (ns: string, name: string, replicas: number) =>
    `apiVersion: rdd.rancherdesktop.io/v1alpha1\nkind: ConfigMapReplicaSet\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: {replicas: ${replicas}, data: {greeting: hello}}\n`
  const owned = async (i: ReturnType<typeof instance>, ns: string, name: string) => {
    const r = await i.rdd(["ctl", "get", "configmaps", "-n", ns, "-l", `app.kubernetes.io/instance=${name}`, "-o", "name"])
    return r.stdout.trim().split("\n").filter((l) => l !== "").sort()
  }

  it("`rdd --controllers='*' svc start` installs its CRD; replicas 3 gives 3 ConfigMaps, 1 leaves 1, a deleted one returns, namespace deletion removes all", async () => {
    const i = instance()
    expect((await i.rdd(["--controllers=*", "svc", "start"])).code).toBe(0)
    const crds = await i.rdd(["ctl", "get", "crd", "-o", "name"])
    expect(crds.stdout).toContain("customresourcedefinition.apiextensions.k8s.io/configmapreplicasets.rdd.rancherdesktop.io")
    expect(crds.stdout).toContain("customresourcedefinition.apiextensions.k8s.io/notaries.rdd.rancherdesktop.io")
    expect((await i.rdd(["ctl", "create", "namespace", "demo"])).code).toBe(0)
    const file = path.join(i.home, "cmrs.yaml")
    fs.writeFileSync(file, cmrs("demo", "web", 3))
    expect((await i.rdd(["ctl", "apply", "-f", file])).code).toBe(0)
    const ready = (n: number) =>
      i.rdd(["ctl", "wait", "-n", "demo", "cmrs/web", `--for=jsonpath={.status.readyReplicas}=${n}`, "--timeout=30s"])
    expect((await ready(3)).code).toBe(0)
    expect(await owned(i, "demo", "web")).toEqual(["configmap/web-0", "configmap/web-1", "configmap/web-2"])
    const data = JSON.parse((await i.rdd(["ctl", "get", "configmap", "-n", "demo", "web-1", "-o", "json"])).stdout) as { data: unknown; metadata: { ownerReferences: Array<{ kind: string; controller: boolean }> } }
    expect(data.data).toEqual({ greeting: "hello", index: "1" })
    expect(data.metadata.ownerReferences).toMatchObject([{ kind: "ConfigMapReplicaSet", controller: true }])

    expect((await i.rdd(["ctl", "patch", "-n", "demo", "cmrs", "web", "--type=merge", "-p", `{"spec":{"replicas":1}}`])).code).toBe(0)
    expect((await ready(1)).code).toBe(0)
    expect(await owned(i, "demo", "web")).toEqual(["configmap/web-0"])

    // a deleted ConfigMap is re-created
    expect((await i.rdd(["ctl", "delete", "configmap", "-n", "demo", "web-0"])).code).toBe(0)
    expect((await i.rdd(["ctl", "wait", "-n", "demo", "configmap/web-0", "--for=create", "--timeout=30s"])).code).toBe(0)

    expect((await i.rdd(["ctl", "delete", "namespace", "demo", "--timeout=30s"])).code).toBe(0)
    const left = await i.rdd(["ctl", "get", "cmrs,configmaps", "-A", "-o", "name"])
    expect(left.stdout).not.toMatch(/web/)
    expect((await i.rdd(["ctl", "get", "namespace", "demo"])).code).toBe(1)
    expect((await i.rdd(["svc", "stop"])).code).toBe(0)
  })
})

describe("the rdd sample controller group: Notary", () => {
  it("records every value change in its history ConfigMap, refuses values starting with \"invalid\", goes with its namespace", async () => {
    const i = instance()
    expect((await i.rdd(["svc", "start", "--controllers=rdd"])).code).toBe(0)
    expect((await i.rdd(["ctl", "create", "namespace", "audit"])).code).toBe(0)
    const file = path.join(i.home, "notary.yaml")
    const write = (value: string) => {
      fs.writeFileSync(file, `apiVersion: rdd.rancherdesktop.io/v1alpha1\nkind: Notary\nmetadata: {name: n1, namespace: audit}\nspec: {value: ${JSON.stringify(value)}, configMapName: history}\n`)
      return i.rdd(["ctl", "apply", "-f", file])
    }
    const changes = (n: number) => i.rdd(["ctl", "wait", "-n", "audit", "notary/n1", `--for=jsonpath={.status.changeCount}=${n}`, "--timeout=30s"])
    expect((await write("first")).code).toBe(0)
    expect((await changes(1)).code).toBe(0)
    expect((await write("second")).code).toBe(0)
    expect((await changes(2)).code).toBe(0)
    const cm = JSON.parse((await i.rdd(["ctl", "get", "configmap", "-n", "audit", "history", "-o", "json"])).stdout) as { data: Record<string, string> }
    expect(cm.data["change_count"]).toBe("2")
    expect(cm.data["change_000"]).toMatch(/^timestamp=\d{4}-\d\d-\d\dT[\d:]+Z,value=first$/)
    expect(cm.data["change_001"]).toMatch(/,value=second$/)
    expect(cm.data["latest_change"]).toBe(cm.data["change_001"])
    const status = JSON.parse((await i.rdd(["ctl", "get", "notary", "-n", "audit", "n1", "-o", "json"])).stdout) as { status: unknown }
    expect(status.status).toEqual({ lastRecordedValue: "second", changeCount: 2, configMapStatus: "Updated" })

    const refused = await write("Invalid value")
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toContain(`spec.value cannot start with 'invalid' (case-insensitive): "Invalid value"`)

    expect((await i.rdd(["ctl", "delete", "namespace", "audit", "--timeout=30s"])).code).toBe(0)
    expect((await i.rdd(["ctl", "get", "notaries,configmaps", "-A", "-o", "name"])).stdout).not.toMatch(/n1|history/)
    expect((await i.rdd(["svc", "stop"])).code).toBe(0)
  })
})

describe("developer mode (RDD_DEVELOPER_MODE, read as a Go boolean)", () => {
  it("svc status says so; off for values that are not Go booleans", async () => {
    const i = instance()
    const on = await i.rdd(["svc", "status"], { env: { RDD_DEVELOPER_MODE: " true ", RDD_LOG_LEVEL: "" } })
    expect(on.messages.at(-1)).toBe("developer mode is enabled")
    const off = await i.rdd(["svc", "status"], { env: { RDD_DEVELOPER_MODE: "yes", RDD_LOG_LEVEL: "" } })
    expect(off.messages).not.toContain("developer mode is enabled")
    expect(off.messages).toHaveLength(3)
  })

  it("unset, it is on when the script sits in a source checkout (src/main.ts and .git beside its bin/), also through a symlink", async () => {
    const { home, cleanup } = tempHome("rdd-devmode-")
    try {
      const checkout = path.join(home, "checkout")
      fs.cpSync(path.dirname(rddBin), path.join(checkout, "bin"), { recursive: true })
      const script = path.join(checkout, "bin", "rdd.mjs")
      const env = { RDD_DEVELOPER_MODE: "", RDD_LOG_LEVEL: "", RDD_INSTANCE: "devmode" }
      const status = (bin: string) => runRdd([bin, "svc", "status"], { home, env, bin: process.execPath })
      const said = (r: { stderr: string }) => messages(r.stderr)
      // a bare copy of the built files (as installed): not a checkout
      expect(said(await status(script))).not.toContain("developer mode is enabled")
      fs.mkdirSync(path.join(checkout, "src"))
      fs.writeFileSync(path.join(checkout, "src", "main.ts"), "")
      // sources without .git (a packed tarball carries them): still not
      expect(said(await status(script))).not.toContain("developer mode is enabled")
      fs.mkdirSync(path.join(checkout, ".git"))
      const on = await status(script)
      expect(said(on)).toContain("developer mode is enabled")
      // and debug is its default level
      expect(on.stderr).toMatch(/^time=\S+ level=debug msg=/m)
      const link = path.join(home, "elsewhere", "rdd.mjs")
      fs.mkdirSync(path.dirname(link))
      fs.symlinkSync(script, link)
      expect(said(await status(link))).toContain("developer mode is enabled")
      // the variable still decides when it is set
      const off = await runRdd([script, "svc", "status"], { home, env: { ...env, RDD_DEVELOPER_MODE: "0" }, bin: process.execPath })
      expect(said(off)).not.toContain("developer mode is enabled")
      const help = await runRdd([script, "--help"], { home, env: { ...env, RDD_LOG_LEVEL: "info" }, bin: process.execPath })
      expect(help.stdout).toMatch(/^ {2}limavm \(alias lima\)/m)
    } finally {
      cleanup()
    }
  })

  it("help lists the developer commands (ctl, limavm, yq) only in developer mode; hidden, they still run", async () => {
    const { home, cleanup } = tempHome("rdd-devhelp-")
    try {
      const plain = await runRdd(["--help"], { home, env: { RDD_LOG_LEVEL: undefined } })
      expect(plain.code).toBe(0)
      expect(plain.stderr).toBe("")
      expect(plain.stdout).not.toMatch(/^ {2,4}(ctl|limavm|lima|yq)\b/m)
      expect(plain.stdout.replace(/\s+/g, " ")).toContain("Developer commands (ctl, limavm, yq) run but are not listed; RDD_DEVELOPER_MODE=1 lists them.")
      expect(plain.stdout).toMatch(/^ {2}svc \(alias service\)/m)
      expect(plain.stdout.split("\n").length).toBeLessThan(55)
      const own = await runRdd(["limavm", "--help"], { home })
      expect(own.code).toBe(0)
      expect(own.stdout).toMatch(/^ {2}rdd limavm COMMAND/m)
      const dev = await runRdd(["--help"], { home, env: { RDD_DEVELOPER_MODE: "1", RDD_LOG_LEVEL: "info" } })
      expect(dev.stdout).toMatch(/^ {2}ctl +\S/m)
      expect(dev.stdout).toMatch(/^ {2}limavm \(alias lima\) +\S/m)
      expect(dev.stdout).toMatch(/^ {2}yq +\S/m)
      expect(dev.stdout).not.toContain("Developer commands")
    } finally {
      cleanup()
    }
  })
})

describe("the log level reaches the daemon as klog -v (issue 14 item 4)", () => {
  it("--log-level=debug svc create saves -v 2, and a later svc start that asks for no level logs at debug; a start's own level is for that run only", async () => {
    const i = instance()
    expect((await i.rdd(["--log-level=debug", "svc", "create"])).code).toBe(0)
    const argsFile = path.join(i.dir, "args.json")
    const saved = fs.readFileSync(argsFile, "utf8")
    expect((JSON.parse(saved) as Array<string>).slice(-2)).toEqual(["-v", "2"])
    // no --log-level, no RDD_LOG_LEVEL: the saved level applies
    const start = await i.rdd(["svc", "start"], { env: { RDD_LOG_LEVEL: "" } })
    expect(start.code, start.stderr).toBe(0)
    const debugLine = `level=debug msg="instance \\"${i.name}\\": directory`
    expect((await i.rdd(["svc", "log"])).stdout).toContain(debugLine)
    expect((await i.rdd(["svc", "stop"])).code).toBe(0)
    // an explicit level is passed for this run (after the saved one, so it wins) and not saved
    const trace = await i.rdd(["--log-level=trace", "svc", "start"], { env: { RDD_LOG_LEVEL: "" } })
    expect(trace.code, trace.stderr).toBe(0)
    const [pid] = i.pids()
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((a) => a !== "")
    expect(argv.slice(-4)).toEqual(["-v", "2", "-v", "4"])
    expect(fs.readFileSync(argsFile, "utf8")).toBe(saved)
    expect((await i.rdd(["svc", "stop"])).code).toBe(0)
    // an explicit info start: -v 0, the daemon's own default (info here), no debug lines
    expect((await i.rdd(["svc", "start"])).code).toBe(0)
    expect((await i.rdd(["svc", "log"])).stdout).not.toContain("level=debug")
    expect((await i.rdd(["svc", "stop"])).code).toBe(0)
  })
})

describe("rdd yq and the yq multicall name (issue 14 item 7)", () => {
  it("eval by default, files and stdin, -n, -o json, -I, --version; errors are yq's Error line and exit 1", async () => {
    const { home, cleanup } = tempHome("rdd-yq-")
    try {
      const file = path.join(home, "in.yaml")
      fs.writeFileSync(file, "a:\n  b: [1, 2]\n  c: hello\nitems:\n  - {name: x, v: 1}\n  - {name: y, v: 2}\n")
      const yq = (args: ReadonlyArray<string>, input?: string) => runRdd(["yq", ...args], { home, ...(input === undefined ? {} : { input }) })
      const field = await yq([".a.c", file])
      expect(field.code, field.stderr).toBe(0)
      expect(field.stdout).toBe("hello\n")
      expect(field.stderr).toBe("")
      expect((await yq(["eval", `.items[] | select(.name == "y") | .v`, file])).stdout).toBe("2\n")
      expect((await yq(["-o", "json", "-I", "0", ".a"], "a: {b: [1, 2]}\n")).stdout).toBe(`{"b":[1,2]}\n`)
      expect((await yq(["-n", ".foo=42"])).stdout).toBe("foo: 42\n")
      expect((await yq(["-I4", ".a.b = 3"], "a: {x: 1}\n")).stdout).toBe("a:\n    x: 1\n    b: 3\n")
      expect((await yq([file])).stdout).toContain("items:\n  - name: x\n")
      const version = await yq(["--version"])
      expect(version.stdout).toBe("yq (https://github.com/mikefarah/yq/) version v4.53.2\n")
      const bad = await yq([".a["], "a: 1\n")
      expect(bad.code).toBe(1)
      expect(bad.stdout).toBe("")
      expect(bad.stderr).toMatch(/^Error: bad expression: /)
      const invalid = await yq(["."], "a: [\n")
      expect(invalid.code).toBe(1)
      expect(invalid.stderr).toMatch(/^Error: bad file '-': /)
      const missing = await yq([".", path.join(home, "nope.yaml")])
      expect(missing.code).toBe(1)
      expect(missing.stderr).toContain("no such file or directory")
    } finally {
      cleanup()
    }
  })

  it("a link named yq (or yq.anything) is rdd yq, --version included; another name is rdd", async () => {
    const { home, cleanup } = tempHome("rdd-yq-link-")
    try {
      for (const name of ["yq", "yq.rdd"]) {
        const link = path.join(home, name)
        fs.symlinkSync(rddBin, link)
        const v = await runRdd([link, "--version"], { home, bin: process.execPath })
        expect(v.stdout).toBe("yq (https://github.com/mikefarah/yq/) version v4.53.2\n")
        const q = await runRdd([link, "-n", "-o", "json", ".a.b = \"x\""], { home, bin: process.execPath })
        expect(q.code, q.stderr).toBe(0)
        expect(JSON.parse(q.stdout)).toEqual({ a: { b: "x" } })
      }
      const other = path.join(home, "yqlike")
      fs.symlinkSync(rddBin, other)
      const v = await runRdd([other, "--version"], { home, bin: process.execPath })
      expect(v.stdout).toMatch(/^v\d+\.\d+\.\d+ \(commit /)
    } finally {
      cleanup()
    }
  })
})
