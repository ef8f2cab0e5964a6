/**
 * The App's VM template choice, saved on the App itself (annotation
 * `app.rancherdesktop.io/vm-template`: the absolute path of a Lima template file;
 * absent = the built-in template), so it is the same whichever shell starts the
 * control plane. RDD_APP_TEMPLATE is honoured once, when `rdd set`/`rdd start`
 * create the App; afterwards a different value is reported, never applied
 * silently: the annotation changes only through a command that says so
 * (`rdd ctl annotate app app app.rancherdesktop.io/vm-template=PATH --overwrite`).
 */
import * as Path from "@effect/platform/Path"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as App from "../domain/App.js"
import type { KubeObject } from "../domain/KubeObject.js"

export const Env = "RDD_APP_TEMPLATE"

/** RDD_APP_TEMPLATE of this command, as an absolute path; None when unset or empty. */
export const fromEnv: Effect.Effect<Option.Option<string>, never, Path.Path> = Effect.gen(function*() {
  const path = yield* Path.Path
  const raw = yield* Config.option(Config.string(Env)).pipe(Effect.orElseSucceed(() => Option.none<string>()))
  return Option.map(Option.filter(raw, (v) => v !== ""), (v) => path.resolve(v))
})

/** The template saved on an App (None: the built-in one). */
export const of = (app: KubeObject): Option.Option<string> =>
  Option.filter(Option.fromNullable(app.metadata.annotations?.[App.TemplateAnnotation]), (v) => v !== "")

export const describe = (template: Option.Option<string>): string =>
  Option.match(template, { onNone: () => "the built-in template", onSome: (p) => JSON.stringify(p) })

/** The annotations a new App gets for the requested template. */
export const annotationsFor = (requested: Option.Option<string>): Readonly<Record<string, string>> =>
  Option.match(requested, { onNone: () => ({}), onSome: (p) => ({ [App.TemplateAnnotation]: p }) })

/** A warning when this command's RDD_APP_TEMPLATE asks for another template than the App has. */
export const reportMismatch = (app: KubeObject, requested: Option.Option<string>): Effect.Effect<void> => {
  const saved = of(app)
  if (Option.isNone(requested) || Option.getEquivalence((a: string, b: string) => a === b)(saved, requested)) return Effect.void
  return Effect.logWarning(
    `${Env}=${requested.value} is not applied: the App's VM template is ${describe(saved)} (annotation ${App.TemplateAnnotation}); ` +
      `to change it: rdd ctl annotate app ${App.SingletonName} ${App.TemplateAnnotation}=${requested.value} --overwrite`
  )
}
