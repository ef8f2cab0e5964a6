/**
 * KubeClient over the World: /readyz answers while a daemon serves the API (not
 * frozen); the discovery ConfigMap is a SubscriptionRef, so `watch` delivers its
 * current state and every change, as the real watch does. Anything else a
 * lifecycle program should not call dies loudly.
 */
import { Effect, Layer, Option, Stream, SubscriptionRef } from "effect"
import { Unavailable } from "../../src/services/KubeClient.js"
import { KubeClient } from "../../src/services/KubeClient.js"
import type { World } from "./World.js"

const unused = (name: string) => Effect.dieMessage(`FakeKubeClient.${name} is not scripted`)

export const layer = (w: World) =>
  Layer.succeed(KubeClient, {
    readyz: Effect.sync(() => w.apiUp()),
    get: (ref) =>
      ref.name === "rdd-controller-manager"
        ? Effect.suspend(() => (w.apiUp() ? SubscriptionRef.get(w.discovery) : Effect.fail(new Unavailable({ message: "connection refused" }))))
        : unused("get"),
    list: () => unused("list"),
    watch: () =>
      w.discovery.changes.pipe(
        Stream.filterMap((o) => (w.apiUp() ? o : Option.none())),
        Stream.map((object) => ({ type: "MODIFIED" as const, object }))
      ),
    create: () => unused("create"),
    update: () => unused("update"),
    patch: () => unused("patch"),
    patchStatus: () => unused("patchStatus"),
    delete: () => unused("delete")
  })
