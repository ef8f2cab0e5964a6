#!/usr/bin/env node
/**
 * The floor of `rdd ctl` (docs/benchmarks.md, "Start-up"): plain Node, no Effect, no
 * YAML parser, doing the least a sequential "check, then kubectl" can do: with
 * `check`, `GET /readyz` and the discovery ConfigMap over one keep-alive TLS
 * connection with the kubeconfig's CA and token (read with regular expressions,
 * which fits the kubeconfigs rdd writes only); then kubectl with KUBECONFIG set.
 * `none` skips the requests (Node's start-up plus kubectl). Time it beside
 * `rdd ctl` and bare kubectl, e.g. with bench/compare-startup.mjs's method.
 *
 *   node bench/ctl-floor.mjs KUBECONFIG check|none KUBECTL-ARGS...
 */
/* global process, Buffer, URL */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as https from "node:https"

const [kubeconfig, mode, ...args] = process.argv.slice(2)
if (mode === "check") {
  const text = fs.readFileSync(kubeconfig, "utf8")
  const field = (k) => new RegExp(`${k}: (\\S+)`).exec(text)?.[1]
  const server = field("server")
  const ca = Buffer.from(field("certificate-authority-data"), "base64").toString()
  const token = field("token")
  const agent = new https.Agent({ keepAlive: true, ca })
  const headers = token === undefined ? {} : { Authorization: `Bearer ${token}` }
  const get = (path) =>
    new Promise((resolve, reject) => {
      https.get(new URL(path, server), { agent, headers }, (res) => {
        res.resume()
        res.on("end", () => resolve(res.statusCode))
      }).on("error", reject)
    })
  if ((await get("/readyz")) !== 200) throw new Error("not ready")
  if ((await get("/api/v1/namespaces/rdd-system/configmaps/rdd-controller-manager")) !== 200) throw new Error("no discovery ConfigMap")
  agent.destroy()
}
const child = spawn("kubectl", args, { stdio: "inherit", env: { ...process.env, KUBECONFIG: kubeconfig } })
child.on("exit", (code) => process.exit(code ?? 1))
