import * as pulumi from "@pulumi/pulumi";

/**
 * A caller's hook to adjust a child resource's args (and options) before it is created, so a component's interface
 * does not have to grow a field for every setting of every child. Either a partial object merged over the args, or a
 * function that edits them in place. Modelled on SST's `transform`.
 *
 * @example
 * transform: { container: (args) => { args.labels = [{ label: "team", value: "data" }]; } }
 */
export type Transform<Args> =
  | Partial<Args>
  | ((args: Args, opts: pulumi.CustomResourceOptions, name: string) => void);

/** Applies `transform` (if any) to the args and options about to be used for the child `name`. */
export function applyTransform<Args extends object>(
  transform: Transform<Args> | undefined,
  name: string,
  args: Args,
  opts: pulumi.CustomResourceOptions,
): [string, Args, pulumi.CustomResourceOptions] {
  if (typeof transform === "function") transform(args, opts, name);
  else if (transform) Object.assign(args, transform);
  return [name, args, opts];
}
