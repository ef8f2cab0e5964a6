/**
 * Longest files first. The suite's wall time on two workers is bounded below by its
 * longest file, so that file must start at once; vitest's own order (cached durations,
 * else file size) has no cache on a fresh CI machine, where file size put the 15-minute
 * engine e2e near the end. Durations measured in full runs on a loaded 2-core machine.
 */
import { BaseSequencer, type TestSpecification } from "vitest/node"

const LongestFirst = [
  "test/e2e/app-engine.test.ts", // ~900 s: two engine guest boots
  "test/e2e/limavm-cloud.test.ts", // ~300 s: a cloud-init guest, stopped and started
  "test/e2e/limavm-ssh.test.ts", // ~240 s
  "test/integration/app.test.ts", // ~220 s
  "test/integration/lifecycle.test.ts", // ~210 s
  "test/e2e/limavm.test.ts", // ~190 s
  "test/property/lifecycle.test.ts" // ~150 s
]

const rank = (file: string) => {
  const i = LongestFirst.findIndex((suffix) => file.endsWith(suffix))
  return i === -1 ? LongestFirst.length : i
}

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: Array<TestSpecification>): Promise<Array<TestSpecification>> {
    const sorted = await super.sort(files)
    // Array.prototype.sort is stable: files not named keep vitest's order
    return sorted.sort((a, b) => rank(a.moduleId) - rank(b.moduleId))
  }
}
