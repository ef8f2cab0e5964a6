import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as LimaTemplate from "../../src/domain/LimaTemplate.js"
import * as GuestConfig from "../../src/domain/limavm/GuestConfig.js"
import * as Rules from "../../src/domain/limavm/PortForwardRules.js"

const base = "images:\n- location: /img/base.qcow2\n"
const parse = (extra: string) => LimaTemplate.parse(base + extra)
const ok = (extra: string) => {
  const r = parse(extra)
  if (Either.isLeft(r)) assert.fail(r.left.message)
  return r.right.guest
}
const bad = (extra: string) => {
  const r = parse(extra)
  if (Either.isRight(r)) assert.fail("expected a rejection")
  return r.left.message
}

describe("GuestConfig (the usable-VM fields of a Lima template)", () => {
  it("fills Lima's defaults", () => {
    const g = ok("")
    assert.strictEqual(g.diskBytes, GuestConfig.DefaultDiskBytes)
    assert.deepStrictEqual(g.ssh, { localPort: 0, loadDotSSHPubKeys: false })
    assert.strictEqual(g.mountType, "reverse-sshfs")
    assert.deepStrictEqual([g.provision, g.probes, g.portForwards, g.mounts], [[], [], [], []])
    assert.deepStrictEqual(g.env, {})
    assert.deepStrictEqual(g.param, {})
  })

  it("reads every field", () => {
    const g = ok(`
disk: 8GiB
user: {name: dev, uid: 1234, home: /home/dev.linux, shell: /bin/sh}
ssh: {localPort: 60022, loadDotSSHPubKeys: true}
provision:
- script: "echo hi"
- mode: user
  script: "touch ~/u"
- mode: data
  path: /etc/x.conf
  content: "a=1"
  permissions: "644"
probes:
- script: "test -e /ok"
  hint: "see /var/log"
portForwards:
- guestPort: 80
  hostPort: 8080
- guestSocket: /run/x.sock
  hostSocket: /tmp/x.sock
- guestPortRange: [3000, 3009]
  hostPortRange: [13000, 13009]
  hostIP: 0.0.0.0
mounts:
- location: "~"
- location: /tmp/share
  mountPoint: /mnt/share
  writable: true
mountType: virtiofs
env: {FOO: bar, N: 1}
`)
    assert.strictEqual(g.diskBytes, 8 * 1024 ** 3)
    assert.deepStrictEqual(g.user, { name: "dev", uid: 1234, home: "/home/dev.linux", shell: "/bin/sh" })
    assert.deepStrictEqual(g.ssh, { localPort: 60022, loadDotSSHPubKeys: true })
    assert.deepStrictEqual(g.provision.map((p) => p.mode), ["system", "user", "data"])
    assert.strictEqual(g.provision[2]!.content, "a=1")
    assert.strictEqual(g.probes[0]!.hint, "see /var/log")
    assert.deepStrictEqual(g.portForwards[0]!.guestPortRange, [80, 80])
    assert.deepStrictEqual(g.portForwards[0]!.hostPortRange, [8080, 8080])
    assert.strictEqual(g.portForwards[1]!.hostSocket, "/tmp/x.sock")
    assert.deepStrictEqual(g.mounts, [{ location: "~", writable: false }, { location: "/tmp/share", mountPoint: "/mnt/share", writable: true }])
    assert.strictEqual(g.mountType, "virtiofs")
    assert.deepStrictEqual(g.env, { FOO: "bar", N: "1" })
  })

  it("exports param to the scripts as PARAM_<name> and expands {{.Param.NAME}} in scripts, sockets and mounts", () => {
    const g = ok(`
param: {ENGINE: moby, SOCK: /tmp/d.sock}
provision: [{script: "echo {{ .Param.ENGINE }} {{.Param.NOPE}}"}]
portForwards: [{guestSocket: /var/run/docker.sock, hostSocket: "{{.Param.SOCK}}"}]
mounts: [{location: "/srv/{{.Param.ENGINE}}"}]
`)
    assert.deepStrictEqual(g.param, { ENGINE: "moby", SOCK: "/tmp/d.sock" })
    assert.deepStrictEqual(g.env, { PARAM_ENGINE: "moby", PARAM_SOCK: "/tmp/d.sock" })
    assert.strictEqual(g.provision[0]!.script, "echo moby {{.Param.NOPE}}")
    assert.strictEqual(g.portForwards[0]!.hostSocket, "/tmp/d.sock")
    assert.strictEqual(g.mounts[0]!.location, "/srv/moby")
  })

  it("rejects invalid values at admission with Lima-style messages", () => {
    assert.include(bad("provision:\n- mode: sometimes\n  script: x\n"), "failed to validate template: field `provision[0].mode` must be one of")
    assert.include(bad("provision:\n- mode: system\n"), "`provision[0].script` must not be empty")
    assert.include(bad("disk: lots\n"), "field `disk` has an invalid value")
    assert.include(bad("portForwards:\n- guestPort: 70000\n"), "must be within 1..65535")
    assert.include(bad("portForwards:\n- guestSocket: /x\n"), "hostSocket` must be set")
    assert.include(bad("mountType: nfs\n"), "field `mountType` must be one of")
    assert.include(bad("mounts:\n- location: /x\n  mountPoint: rel\n"), "must be an absolute path")
    assert.include(bad("user: {name: Root!}\n"), "field `user.name` must match")
    assert.include(bad("provision: 3\n"), "failed to parse template")
  })
})

describe("PortForwardRules", () => {
  const rules = ok(`
portForwards:
- guestPort: 8443
  ignore: true
- guestPort: 80
  hostPort: 8080
- guestPortRange: [9000, 9001]
  guestIPMustBeZero: true
  guestIP: 0.0.0.0
  hostIP: 0.0.0.0
`).portForwards

  it("applies the template's rules in order, then Lima's defaults", () => {
    assert.deepStrictEqual(Rules.hostAddressFor(rules, { ip: "127.0.0.1", port: 80 }), { hostIP: "127.0.0.1", hostPort: 8080 })
    assert.deepStrictEqual(Rules.hostAddressFor(rules, { ip: "0.0.0.0", port: 80 }), { hostIP: "127.0.0.1", hostPort: 8080 })
    assert.strictEqual(Rules.hostAddressFor(rules, { ip: "127.0.0.1", port: 8443 }), undefined)
    assert.deepStrictEqual(Rules.hostAddressFor(rules, { ip: "0.0.0.0", port: 9001 }), { hostIP: "0.0.0.0", hostPort: 9001 })
    // must-be-zero: a loopback listener falls through to the default rule
    assert.deepStrictEqual(Rules.hostAddressFor(rules, { ip: "127.0.0.1", port: 9001 }), { hostIP: "127.0.0.1", hostPort: 9001 })
    assert.strictEqual(Rules.hostAddressFor(rules, { ip: "0.0.0.0", port: 22 }), undefined)
    assert.strictEqual(Rules.hostAddressFor(rules, { ip: "192.168.5.15", port: 5000 }), undefined)
    assert.deepStrictEqual(Rules.hostAddressFor([], { ip: "::", port: 5000 }), { hostIP: "127.0.0.1", hostPort: 5000 })
  })

  it("opens fixed single-port forwards at once", () => {
    assert.deepStrictEqual(Rules.fixedForwards(rules), [{ guest: { ip: "127.0.0.1", port: 80 }, host: { hostIP: "127.0.0.1", hostPort: 8080 } }])
  })

  it("reads listeners from /proc/net/tcp and tcp6", () => {
    const text = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0
   2: 0F05A8C0:0016 0205A8C0:C350 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 100 0 0 10 0
  sl  local_address                         remote_address                        st
   0: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A 0
   1: 00000000000000000000000001000000:0BB9 00000000000000000000000000000000:0000 0A 0
   2: 0000000000000000FFFF00000100007F:0BBA 00000000000000000000000000000000:0000 0A 0
`
    assert.deepStrictEqual(Rules.parseProcNetTcp(text), [
      { ip: "127.0.0.1", port: 8080 },
      { ip: "0.0.0.0", port: 22 },
      { ip: "::", port: 3000 },
      { ip: "::1", port: 3001 },
      { ip: "127.0.0.1", port: 3002 }
    ])
  })
})
