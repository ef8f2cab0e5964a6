/**
 * What the end-to-end tests of real guests share: finding the processes a test's HOME
 * started (QEMU, the SSH master, sshfs pipelines: their command lines name the HOME),
 * and reaching a guest's server through a forward that appears a few seconds later.
 */
import * as fs from "node:fs"
import * as http from "node:http"

/** Pids whose command line matches `what` and names `home`. */
export const processesOf = (home: string, what: RegExp): Array<number> =>
  fs.readdirSync("/proc").filter((e) => /^\d+$/.test(e)).flatMap((e) => {
    try {
      const cmd = fs.readFileSync(`/proc/${e}/cmdline`, "utf8")
      return what.test(cmd) && cmd.includes(home) ? [Number(e)] : []
    } catch {
      return []
    }
  })

/** GET http://127.0.0.1:<port><path>, its body. */
export const httpGet = (port: number, path = "/"): Promise<string> =>
  new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, timeout: 5000 }, (res) => {
      let body = ""
      res.on("data", (d: Buffer) => (body += d.toString()))
      res.on("end", () => resolve(body))
    })
    req.on("error", reject)
    req.on("timeout", () => req.destroy(new Error("timeout")))
  })

/** Retries `f` until it succeeds or `ms` pass (a forward opens on the host agent's next round). */
export const retrying = async <A>(f: () => Promise<A>, ms: number): Promise<A> => {
  const end = Date.now() + ms
  for (;;) {
    try {
      return await f()
    } catch (e) {
      if (Date.now() > end) throw e
      await new Promise((r) => setTimeout(r, 250))
    }
  }
}
