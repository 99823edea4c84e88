/**
 * Argument checks for the components, which are also used on their own, without index.ts's config validation. As in
 * pulumi-awsx and pulumi-eks, a bad argument stops the program before any child is registered, with a
 * `pulumi.ResourceError` naming the component, the argument, the value and what is allowed. The rules themselves are
 * the config validation's (the same Docker name pattern, the same CPU round-trip, the same schedule parser), so a
 * component refuses exactly what a stack's config would.
 *
 * Inputs that are Outputs or Promises are not known when the constructor runs: they are not checked here.
 */
import { isIP } from "node:net";
import * as pulumi from "@pulumi/pulumi";

/** One rule: undefined when `value` is allowed, else what is allowed. */
export type Rule<T> = (value: T) => string | undefined;

/** The plain value of an input, or undefined when it is not known yet (an Output or a Promise). */
function known<T>(value: pulumi.Input<T> | undefined): T | undefined {
  if (value === undefined || pulumi.Output.isInstance(value) || value instanceof Promise) return undefined;
  return value as T;
}

export class ArgumentChecks {
  /** @param label how messages name the component, e.g. `TimescaleServer "timescaledb"`. */
  constructor(
    private readonly resource: pulumi.Resource,
    private readonly label: string,
  ) {}

  /** Throws when `rule` refuses the argument's known value; unset arguments take their documented default. */
  check<T>(arg: string, value: pulumi.Input<T> | undefined, rule: Rule<T>): this {
    const v = known(value);
    if (v === undefined) return this;
    const allowed = rule(v);
    if (allowed !== undefined) this.fail(arg, v, allowed);
    return this;
  }

  /** Throws for an argument that a shared validator refused, with that validator's message. */
  invalid(arg: string, reason: string): never {
    throw new pulumi.ResourceError(`${this.label}: ${arg}: ${reason}`, this.resource);
  }

  fail(arg: string, value: unknown, allowed: string): never {
    const shown = typeof value === "string" ? JSON.stringify(value) : Array.isArray(value) ? JSON.stringify(value) : String(value);
    throw new pulumi.ResourceError(`${this.label}: ${arg} is ${shown}; expected ${allowed}`, this.resource);
  }
}

export const wholeNumber = (min: number, max: number, hint = ""): Rule<number> => (v) =>
  Number.isInteger(v) && v >= min && v <= max ? undefined : `a whole number from ${min} to ${max}${hint ? ` ${hint}` : ""}`;

export const port: Rule<number> = wholeNumber(1, 65535);

/** An IP address without a zone id (`fe80::1%eth0`): the server is reached through URLs, whose host cannot carry one. */
export const ipAddress: Rule<string> = (v) => (isIP(v) !== 0 && !v.includes("%") ? undefined : "an IPv4 or IPv6 address such as 127.0.0.1, without a zone id");

export const nonEmpty: Rule<string> = (v) => (typeof v === "string" && v.length > 0 ? undefined : "a non-empty string");
