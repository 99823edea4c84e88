/**
 * Per-stack defaults for the Docker names and host ports, so a new stack never shares another stack's network,
 * containers, volumes or ports by accident. The docker provider creates a volume by name and takes what the daemon
 * answers (kreuzwerker/terraform-provider-docker internal/provider/resource_docker_volume.go
 * resourceDockerVolumeCreate: VolumeCreate with the name, no check that it is new), and the Docker daemon answers a
 * create of an existing local volume with that volume, so a second stack with prod's names would mount prod's data
 * directory. Pure functions; docs/configuration-stacks.md describes the rules.
 */

/** The stack that keeps the names and ports of the earlier podman-compose deployment. */
export const PRODUCTION_STACK = "prod";
/** prod's prefix, and the start of every other stack's. */
export const BASE_PREFIX = "crypto-scout";

/** The namePrefix a stack gets when it does not set one: `crypto-scout` for prod, `crypto-scout-<stack>` otherwise. */
export function stackNamePrefix(stack: string): string {
  return stack === PRODUCTION_STACK ? BASE_PREFIX : `${BASE_PREFIX}-${stack}`;
}

/** The host ports a stack publishes on when it does not set them. */
export interface StackPorts {
  readonly hostPort: number;
  readonly postgresExporterPort: number;
  readonly sqlExporterPort: number;
}

/** prod's ports: PostgreSQL's, postgres_exporter's and sql_exporter's own defaults, as the earlier deployment used. */
export const PRODUCTION_PORTS: StackPorts = { hostPort: 5432, postgresExporterPort: 9187, sqlExporterPort: 9399 };

/** First port of the block other stacks derive theirs from; blocks end below 30000, under Linux's ephemeral range (32768+). */
export const DERIVED_PORT_BASE = 20000;
export const DERIVED_PORT_BLOCKS = 1000;

/**
 * The ports a stack publishes on by default: prod's own for prod; for any other stack a block of ten ports picked by
 * the stack name, `20000 + 10 * (FNV-1a(name) mod 1000)`, with PostgreSQL on the first, postgres_exporter on the
 * second and sql_exporter on the third. The same name always gives the same ports (no state, no randomness); two
 * names may share a block (1 in 1000), which the check against the other stack files refuses with the fix.
 */
export function stackPorts(stack: string): StackPorts {
  if (stack === PRODUCTION_STACK) return PRODUCTION_PORTS;
  const base = DERIVED_PORT_BASE + 10 * (fnv1a32(stack) % DERIVED_PORT_BLOCKS);
  return { hostPort: base, postgresExporterPort: base + 1, sqlExporterPort: base + 2 };
}

/** 32-bit FNV-1a over the UTF-8 bytes: small, well known, and stable across Node versions. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
