/**
 * The limactl driver against a fake `limactl` (a bash script written by the test):
 * the exact commands with LIMA_HOME, the parsing of `list --json`, and the state
 * machine around the background `limactl start`. No real limactl is on this machine.
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as LimaTemplate from "../../src/domain/LimaTemplate.js"
import * as LimactlDriver from "../../src/layers/LimactlDriver.js"
import * as NodeProcessManager from "../../src/layers/NodeProcessManager.js"

const fakeLimactl = `#!/usr/bin/env bash
set -u
echo "LIMA_HOME=$LIMA_HOME $*" >> "$FAKE_LIMACTL_LOG"
cmd=$1; shift
alive() { [ -r "/proc/$1/stat" ] && ! awk '{exit !($3=="Z")}' "/proc/$1/stat"; }
case "$cmd" in
  --version) echo "limactl version 2.1.2" ;;
  create)
    name=; file=
    for a in "$@"; do case "$a" in --name=*) name=\${a#--name=} ;; --tty=*) ;; *) file=$a ;; esac; done
    if [ -e "$LIMA_HOME/$name" ]; then echo "level=fatal msg=\\"instance \\\\\\"$name\\\\\\" already exists\\"" >&2; exit 1; fi
    mkdir -p "$LIMA_HOME/$name"; cp "$file" "$LIMA_HOME/$name/lima.yaml" ;;
  start)
    name=\${@: -1}; d="$LIMA_HOME/$name"
    if grep -q FAIL_START "$d/lima.yaml"; then echo 'level=fatal msg="guest did not come up"' >&2; exit 1; fi
    nohup sleep 300 >/dev/null 2>&1 &
    echo $! > "$d/ha.pid"
    sleep 0.3
    echo 'level=info msg="READY. Run \`lima\` to open the shell."' ;;
  stop)
    name=\${@: -1}; d="$LIMA_HOME/$name"
    if [ "$1" != --force ] && grep -q SLOW_STOP "$d/lima.yaml"; then exec sleep 30; fi
    [ -f "$d/ha.pid" ] && kill "$(cat "$d/ha.pid")" 2>/dev/null; rm -f "$d/ha.pid" ;;
  delete)
    name=\${@: -1}; d="$LIMA_HOME/$name"
    [ -f "$d/ha.pid" ] && kill "$(cat "$d/ha.pid")" 2>/dev/null; rm -rf "$d" ;;
  list)
    echo "time=x level=warning msg=\\"noise that is not JSON\\"" >&2
    for d in "$LIMA_HOME"/*/; do
      [ -f "$d/lima.yaml" ] || continue
      n=$(basename "$d"); st=Stopped; pid=0
      if [ -f "$d/ha.pid" ] && alive "$(cat "$d/ha.pid")"; then st=Running; pid=$(cat "$d/ha.pid"); fi
      printf '{"name":"%s","status":"%s","dir":"%s","vmType":"qemu","arch":"x86_64","hostAgentPID":%s}\\n' "$n" "$st" "\${d%/}" "$pid"
    done ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
`

const dirs: Array<string> = []
afterEach(() => {
  for (const dir of dirs.splice(0)) {
    // The fake hostagents are \`sleep\` processes: end them by pid.
    const limaHome = path.join(dir, "lima")
    for (const vm of fs.existsSync(limaHome) ? fs.readdirSync(limaHome) : []) {
      try {
        process.kill(Number(fs.readFileSync(path.join(limaHome, vm, "ha.pid"), "utf8")), "SIGKILL")
      } catch {
        // no hostagent, or gone
      }
    }
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

const setup = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rddlc-"))
  dirs.push(dir)
  const bin = path.join(dir, "bin")
  fs.mkdirSync(bin)
  fs.writeFileSync(path.join(bin, "limactl"), fakeLimactl, { mode: 0o755 })
  const log = path.join(dir, "calls.log")
  const limaHome = path.join(dir, "lima")
  const make = LimactlDriver.make({
    limaHome,
    limactl: "limactl",
    env: { PATH: `${bin}:${process.env["PATH"] ?? ""}`, FAKE_LIMACTL_LOG: log }
  }).pipe(Effect.provide(NodeProcessManager.layer))
  const calls = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [])
  return { dir, limaHome, make, calls }
}

const spec = (name: string, extra = "") => {
  const text = `images: [{location: "https://example.invalid/img.qcow2"}]\n${extra}`
  return { name, templateText: text, template: Either.getOrThrow(LimaTemplate.parse(text)) }
}

describe("LimactlDriver", () => {
  it("parses list --json lines and ignores everything else", () => {
    const out = [
      `{"name":"a","status":"Running","dir":"/l/a","hostAgentPID":42,"driverPID":43,"cpus":4}`,
      `time="..." level=warning msg="x"`,
      `{"name":"b","status":"Stopped","dir":"/l/b"}`,
      `{"status":"no name"}`,
      `{broken json`
    ].join("\n")
    assert.deepStrictEqual(LimactlDriver.parseList(out), [
      { name: "a", status: "Running", dir: "/l/a", hostAgentPID: 42, driverPID: 43 },
      { name: "b", status: "Stopped", dir: "/l/b" }
    ])
  })

  it.live("create, start, stop, delete: the exact commands with LIMA_HOME, and the states", () =>
    Effect.gen(function*() {
      const { limaHome, make, calls } = setup()
      const d = yield* make
      assert.deepStrictEqual(yield* d.status("vm1"), { _tag: "Absent" })
      yield* d.create(spec("vm1"))
      const create = calls().find((c) => c.includes(" create "))!
      assert.match(create, new RegExp(`^LIMA_HOME=${limaHome} create --tty=false --name=vm1 /.*/vm1\\.yaml$`))
      assert.strictEqual(yield* d.storedTemplate("vm1"), spec("vm1").templateText)
      assert.deepStrictEqual(yield* d.status("vm1"), { _tag: "Stopped" })
      assert.deepStrictEqual(yield* d.list, ["vm1"])

      const { pid } = yield* d.start("vm1")
      assert.isTrue(pid > 1)
      yield* d.awaitRunning("vm1").pipe(Effect.timeout("10 seconds"))
      const running = yield* d.status("vm1")
      assert.strictEqual(running._tag, "Running")
      const hostAgent = Number(fs.readFileSync(path.join(limaHome, "vm1/ha.pid"), "utf8"))
      assert.deepStrictEqual(running, { _tag: "Running", pid: hostAgent })
      assert.include(calls(), `LIMA_HOME=${limaHome} start --tty=false vm1`)
      assert.strictEqual(fs.readFileSync(path.join(limaHome, "vm1/rdd-start.log"), "utf8").includes("READY"), true)

      // A template update of an existing instance rewrites lima.yaml (no second create).
      yield* d.create(spec("vm1", "cpus: 2"))
      assert.strictEqual(calls().filter((c) => c.includes(" create ")).length, 1)
      assert.include((yield* d.storedTemplate("vm1"))!, "cpus: 2")

      yield* d.stop("vm1", { grace: "5 seconds" })
      assert.include(calls(), `LIMA_HOME=${limaHome} stop vm1`)
      assert.deepStrictEqual(yield* d.status("vm1"), { _tag: "Stopped" })
      yield* d.stop("vm1")
      assert.strictEqual(calls().filter((c) => c.includes(" stop ")).length, 1, "stop when stopped runs nothing")

      yield* d.delete("vm1")
      assert.include(calls(), `LIMA_HOME=${limaHome} delete --force vm1`)
      assert.deepStrictEqual(yield* d.status("vm1"), { _tag: "Absent" })
    }), 30_000)

  it.live("a failed limactl start is StartFailed with its output; a failed create is CreateFailed", () =>
    Effect.gen(function*() {
      const { limaHome, make } = setup()
      const d = yield* make
      yield* d.create(spec("bad", "# FAIL_START"))
      yield* d.start("bad")
      const error = yield* Effect.flip(d.awaitRunning("bad").pipe(Effect.timeout("10 seconds")))
      assert.strictEqual(error._tag, "StartFailed")
      assert.include(error.message, "guest did not come up")
      assert.deepStrictEqual(yield* d.status("bad"), { _tag: "Stopped" })
      // A leftover directory without an instance: limactl refuses, the driver reports its words.
      fs.mkdirSync(path.join(limaHome, "stale"), { recursive: true })
      const createError = yield* Effect.flip(d.create(spec("stale")))
      assert.strictEqual(createError._tag, "CreateFailed")
      assert.include(createError.message, "already exists")
    }), 30_000)

  it.live("a stop slower than the grace period is forced", () =>
    Effect.gen(function*() {
      const { limaHome, make, calls } = setup()
      const d = yield* make
      yield* d.create(spec("slow", "# SLOW_STOP"))
      yield* d.start("slow")
      yield* d.awaitRunning("slow").pipe(Effect.timeout("10 seconds"))
      const t0 = Date.now()
      yield* d.stop("slow", { grace: "500 millis" })
      assert.isBelow(Date.now() - t0, 5000)
      assert.include(calls(), `LIMA_HOME=${limaHome} stop --force slow`)
      assert.deepStrictEqual(yield* d.status("slow"), { _tag: "Stopped" })
      // A restarted daemon (new driver) sees the same instances.
      const again = yield* make
      assert.deepStrictEqual(yield* again.adopt("slow"), { _tag: "Stopped" })
    }), 30_000)
})
