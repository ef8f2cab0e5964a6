/**
 * A separate process that fetches one image through the image cache, for the tests of
 * what two processes sharing a cache do: `node --import tsx fetchImage.ts <url> <cacheDir>`.
 * Prints "waiting ..." when another holder has the entry, then the result as JSON.
 */
import * as Effect from "effect/Effect"
import * as ImageCache from "../../src/layers/qemu/ImageCache.js"

const [location, cacheDir] = process.argv.slice(2)
Effect.runPromise(
  // the tests stall the first download until the second process says it waits, which can take
  // longer than the default 30 s idle bound while a loaded machine starts that process
  ImageCache.fetch({ location: location! }, { cacheDir: cacheDir!, home: "/", idleTimeoutMillis: 300_000, onWaiting: (m) => console.log(`waiting ${m}`) })
).then(
  (r) => console.log(JSON.stringify(r)),
  (e) => {
    console.error(String(e))
    process.exit(1)
  }
)
