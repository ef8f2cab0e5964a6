import { assert, describe, it } from "@effect/vitest"
import { passThroughArgv } from "../../src/domain/GlobalArgs.js"
import * as RunCommand from "../../src/domain/RunCommand.js"

describe("rdd run (pure part)", () => {
  it("help, usage, a leading -- dropped, no flag parsing", () => {
    assert.deepStrictEqual(RunCommand.parse(["--help"]), { _tag: "Help" })
    assert.deepStrictEqual(RunCommand.parse(["-h", "x"]), { _tag: "Help" })
    assert.deepStrictEqual(RunCommand.parse(["--", "--help"]), { _tag: "Run", command: "--help", args: [] })
    assert.deepStrictEqual(RunCommand.parse(["--"]), { _tag: "Usage", message: "run requires a command to execute" })
    assert.deepStrictEqual(RunCommand.parse([]), { _tag: "Usage", message: "run requires a command to execute" })
    assert.deepStrictEqual(RunCommand.parse(["docker", "--context", "x", "-v"]), { _tag: "Run", command: "docker", args: ["--context", "x", "-v"] })
  })
  it("cli.ts hands run its words as typed, a user's -- included", () => {
    assert.deepStrictEqual(passThroughArgv(["run", "--help"]), ["run", "--", "--help"])
    assert.deepStrictEqual(passThroughArgv(["run", "--", "--help"]), ["run", "--", "--", "--help"])
    assert.deepStrictEqual(passThroughArgv(["--instance", "x", "run", "sh", "--log-level", "y"]), ["--instance", "x", "run", "--", "sh", "--log-level", "y"])
  })
  it("kubectl and helm (any directory, .exe) enable Kubernetes; others do not", () => {
    for (const c of ["kubectl", "/usr/bin/helm", "kubectl.exe", "C:\\bin\\helm.exe"]) assert.isTrue(RunCommand.needsKubernetes(c), c)
    for (const c of ["docker", "kubectl2", "helmfile"]) assert.isFalse(RunCommand.needsKubernetes(c), c)
  })
  it("the child's environment: PATH first the instance's bin, DOCKER_CONTEXT, KUBECONFIG, no DOCKER_HOST", () => {
    const env = RunCommand.childEnv({ PATH: "/usr/bin", DOCKER_HOST: "tcp://x", HOME: "/h" }, { suffix: "7", shortDir: "/h/.rd7" })
    assert.deepStrictEqual(env, { PATH: "/h/.rd7/bin:/usr/bin", HOME: "/h", DOCKER_CONTEXT: "rancher-desktop-7", KUBECONFIG: "/h/.rd7/kube.config" })
    assert.strictEqual(RunCommand.childEnv({ PATH: "" }, { suffix: "7", shortDir: "/h/.rd7" })["PATH"], "/h/.rd7/bin")
  })
})
