/**
 * The backup sidecar's schedule, checked the way the sidecar's scheduler parses it, so that `pulumi preview` refuses
 * a schedule the container would die on (issue 12).
 *
 * The chain, as read (sources are cited as repository@commit:path:line):
 *
 * 1. The image. prodrigestivill/postgres-backup-local, read at d257e5ddb751c7592f8b3b5ee376c3cf7caf5e49 ("Add pg
 *    version 18", 2025-09-26). debian.Dockerfile:4 and alpine.Dockerfile:4 pin `ARG GOCRONVER=v0.0.11` (also
 *    generate-docker-bake.sh:5, docker-bake.hcl), downloaded as a release binary (debian.Dockerfile:23,
 *    alpine.Dockerfile:9); SCHEDULE defaults to "@daily" (debian.Dockerfile:37). init.sh:15 runs
 *    `exec /usr/local/bin/go-cron -s "$SCHEDULE" -p "$HEALTHCHECK_PORT" $EXTRA_ARGS -- /backup.sh`: the value is
 *    handed over verbatim (quoted; no trimming), so whitespace in it reaches the parser. env.sh does not look at it.
 * 2. go-cron v0.0.11. The image moved to it in 5aec204 (2024-09-04), which also started passing `-i`. The stored
 *    snapshot of prodrigestivill/go-cron stops at v0.0.10 (e266cf2); the indexed newer commit
 *    bd4460ab69b6f79cc306f040138c9d70643690c4 has `-i` (main.go:23) and is what v0.0.11 is taken to be:
 *    gocron/go-cron.go:96-104 `Create` builds
 *    `cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)`,
 *    calls `parser.Parse(schedule)` and returns its error; main.go:36-39 then does
 *    `log.Fatalf("Invalid schedule: %v", err)`: exit status 1, and Docker's restart policy loops. (v0.0.10 used the same
 *    options, gocron/go-cron.go:100-106, but ignored AddFunc's error.) go.mod requires github.com/robfig/cron/v3 v3.0.1.
 * 3. robfig/cron v3.0.1 (ccba498c397bb90a9c84945bbb0f7af2d72b6309). parser.go there is, apart from comments, the same
 *    as master (bc59245). Lines cited below as parser.go:N, spec.go:N, constantdelay.go:N are at that tag.
 *    So: not ParseStandard (parser.go:217-231, exactly 5 fields) and not cron.WithSeconds (exactly 6): 5 or 6 fields,
 *    descriptors allowed.
 * 4. Go's time.ParseDuration (src/time/format.go, `ParseDuration`, `leadingInt`, `leadingFraction`, `unitMap`) and
 *    time.LoadLocation (src/time/zoneinfo.go, `LoadLocation`, `containsDotDot`), read at golang/go master; their
 *    behaviour here has been stable for many releases (the Go version that built the release binary is not recorded).
 *
 * The rules robfig's Parser.Parse (parser.go:88-153) applies with those options, in its order, first failure wins:
 *  R1  "" is refused: "empty spec string" (parser.go:89-91). Only the empty string; "   " falls through to R5.
 *  R2  A spec starting exactly with "TZ=" or "CRON_TZ=" (case-sensitive, no leading space) carries a location: the
 *      text from the first "=" to the first " " (ASCII space) is passed to time.LoadLocation, and the rest, trimmed of
 *      Unicode space, is the schedule (parser.go:93-103). With no " " at all the slice is spec[eq+1:-1]: Go panics,
 *      so go-cron crashes (refused here). LoadLocation: "" and "UTC" give UTC, "Local" the container's zone
 *      (TZ=UTC in backup-sidecar.ts), a name containing ".." or starting with "/" or "\" is "invalid location name",
 *      anything else is a file under the container's zoneinfo, looked up case-sensitively: "provided bad location
 *      %s: %v". This module cannot see the container's files; it accepts what Node's ICU time-zone data knows,
 *      spelled in ICU's case for canonical names (aliases such as "US/Eastern" are accepted as ICU resolves them).
 *  R3  A spec (after R2) starting with "@" is a descriptor (parser.go:105-111 → parseDescriptor, parser.go:365-434),
 *      matched exactly and case-sensitively: "@yearly" "@annually" "@monthly" "@weekly" "@daily" "@midnight" "@hourly"
 *      (parser.go:366-422); "@every " (one ASCII space) followed by a Go duration (parser.go:424-431; error "failed to
 *      parse duration %s: %s"); anything else "unrecognized descriptor: %s" (parser.go:433). No trimming: "@daily "
 *      is unrecognized and "@every 1h " has unknown unit "h ".
 *  R4  @every takes whatever time.ParseDuration accepts (see parseGoDuration) and hands it to Every
 *      (constantdelay.go:14-21): anything under 1s, zero and negative included, becomes 1s, and fractions of a second
 *      are dropped. The parser accepts those; scheduleWarning reports them.
 *  R5  Otherwise the spec is split with strings.Fields (runs of Unicode white space, parser.go:114) and must have 5 or 6
 *      fields: "expected 5 to 6 fields, found %d: %s" (normalizeFields, parser.go:160-215, count check :185-190). With
 *      5 the seconds field "0" is put in front (:197-198): fields are [second] minute hour day-of-month month
 *      day-of-week. Fields are parsed in that order (parser.go:132-139).
 *  R6  Bounds (spec.go:21-49): second 0-59, minute 0-59, hour 0-23, day of month 1-31, month 1-12 (names JAN-DEC),
 *      day of week 0-6 (names SUN-SAT; 7 is NOT Sunday).
 *  R7  A field is a comma list (getField, parser.go:236-247) split with strings.FieldsFunc, which drops empty items:
 *      "1,,2" is 1,2 and "," selects nothing (accepted; never fires, see scheduleWarning).
 *  R8  Each item (getRange, parser.go:252-318) is split on "/" and its first part on "-":
 *      a. first part "*" or "?" (any field, not only days) means min-max and sets the star bit (:262-265); whatever
 *         follows a "-" after "*" or "?" is then ignored: "*-5" is "*" (quirk, accepted);
 *      b. otherwise start = name or integer (parseIntOrName, :321-328: names case-insensitive, only in month and day of
 *         week), then one optional "-end" (:271-281; more hyphens: "too many hyphens: %s"). Integers are
 *         strconv.Atoi (mustParseInt, :331-341): optional sign, ASCII digits, int64 range ("failed to parse int from
 *         %s: %s"); negative values "negative number (%d) not allowed: %s". So "+5" and "05" are 5;
 *      c. an optional "/step" (:284-302), an integer (no names); more slashes: "too many slashes: %s". A single value
 *         with a step, "N/step", means N-max/step (:293-296); a step above 1 clears the star bit (:297-299);
 *      d. then, in this order (:304-315): start < min "beginning of range (%d) below minimum (%d): %s";
 *         end > max "end of range (%d) above maximum (%d): %s"; start > end "beginning of range (%d) beyond end of
 *         range (%d): %s" (also how "70/5" in minutes fails: end is max); step 0 "step of range should be a positive
 *         number: %s". A step larger than the range is fine ("*\/100" is just the start).
 *
 * Accepted but harmful (scheduleWarning): SpecSchedule.Next gives up after five years and returns the zero time
 * (spec.go:87-92), and Cron.run then sleeps forever on it (cron.go:254-257), so a schedule with no matching date
 * ("0 0 31 2 *", or an empty list) runs no backup at all, silently. Days match as in dayMatches (spec.go:179-188): if
 * day of month or day of week has the star bit, both must match, otherwise either. And @every under 1s runs every
 * second. go-cron's arm/v7 binary is 32-bit, where Atoi's range is int32: a step of 2^31 or more is accepted here
 * (64-bit hosts) but refused there.
 */

/** Valid schedules to quote in error messages. */
export const SCHEDULE_EXAMPLES: readonly string[] = ["@daily", "@every 6h", "0 3 * * *", "0 0 3 * * *"];

/** The descriptors robfig's parseDescriptor knows (parser.go:366-422), besides `@every <duration>`. */
export const SCHEDULE_DESCRIPTORS: readonly string[] = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

/**
 * What is wrong with `schedule` for the backup sidecar's scheduler (go-cron v0.0.11 on robfig/cron v3.0.1), or
 * undefined when the scheduler accepts it. Pure; mirrors the rules R1-R8 above.
 */
export function scheduleProblem(schedule: string): string | undefined {
  const parsed = parseSchedule(schedule);
  return parsed.ok ? undefined : parsed.problem;
}

/**
 * For a schedule the scheduler accepts, why it would still not back up as meant: it never fires (no date matches,
 * or a field selects nothing), or it is an @every under a second (run every second) or with a fraction of a second
 * (dropped). Undefined when there is nothing to say, and for schedules scheduleProblem refuses.
 */
export function scheduleWarning(schedule: string): string | undefined {
  const parsed = parseSchedule(schedule);
  if (!parsed.ok) return undefined;
  const s = parsed.schedule;
  switch (s.kind) {
    case "descriptor":
      return undefined;
    case "every":
      return everyWarning(s.text, s.nanoseconds);
    case "fields":
      return neverFiresWarning(s.fields);
  }
}

/**
 * Why `schedule` is no backup schedule: the scheduler refuses it (the sidecar would restart in a loop), or accepts it
 * but would back up every second or never. Undefined for a schedule that backs up as written. Used by the stack's
 * config validation and by BackupSidecar's argument checks, so both refuse the same schedules.
 */
export function backupScheduleProblem(schedule: string): string | undefined {
  return scheduleProblem(schedule) ?? scheduleWarning(schedule);
}

/** What the schedule checks allow, for messages. */
export const SCHEDULE_RULE = `a schedule the backup sidecar's scheduler runs (go-cron on robfig/cron v3), such as ${SCHEDULE_EXAMPLES.map((e) => JSON.stringify(e)).join(", ")}`;

/**
 * The check as a rule (components/args.ts): undefined for a schedule that backs up as written, else what is allowed
 * and what is wrong with this one. Stack config and BackupSidecar's arguments use it alike.
 */
export function backupScheduleRule(schedule: string): string | undefined {
  const problem = backupScheduleProblem(schedule);
  return problem === undefined ? undefined : `${SCHEDULE_RULE}; here: ${problem}`;
}

// ---------------------------------------------------------------------------------------------------------------------
// Go's time.ParseDuration

export type GoDurationResult =
  | { readonly ok: true; readonly nanoseconds: bigint }
  | { readonly ok: false; readonly problem: string };

const NS_PER_SECOND = 1_000_000_000n;
const TWO_POW_63 = 1n << 63n;
const TWO_POW_64 = 1n << 64n;
/**
 * unitMap (src/time/format.go): "µs" is U+00B5 (micro sign), "μs" U+03BC (Greek mu). A Map, so that a unit such as
 * "constructor" is not found on a prototype.
 */
const GO_DURATION_UNITS: ReadonlyMap<string, bigint> = new Map([
  ["ns", 1n],
  ["us", 1_000n],
  ["\u00b5s", 1_000n],
  ["\u03bcs", 1_000n],
  ["ms", 1_000_000n],
  ["s", NS_PER_SECOND],
  ["m", 60n * NS_PER_SECOND],
  ["h", 3600n * NS_PER_SECOND],
]);

function isAsciiDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

/**
 * Go's time.ParseDuration (src/time/format.go): `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, step for step.
 * - an optional sign; then exactly "0" is zero (so "0", "-0", "+0" need no unit); nothing left is invalid;
 * - one or more components, each: digits and/or "." digits (at least one digit on either side: "1.s" and ".5s" are
 *   fine, "." and ".s" are not), then a unit: the run of characters up to the next "." or digit, which must be one of
 *   ns us µs μs ms s m h exactly (so "1h 30m" has unit "h ", "90 minutes" unit " minutes", "1H" unit "H");
 * - several components add up ("1h30m", "1h0.5m"); a sign is only allowed in front ("1h-30m" has unit "h-");
 * - the integer part overflows past 2^63 (leadingInt), a component or the sum past 2^63 (uint64 arithmetic, with
 *   its one wrap-around), or a positive total past 2^63-1: invalid. Fraction digits past uint64 precision are read
 *   and ignored (leadingFraction). A fraction contributes trunc(f * (unit / scale)) in float64, as Go computes it.
 * Returns the duration in nanoseconds (negative allowed), or the reason it is not one.
 */
export function parseGoDuration(text: string): GoDurationResult {
  const invalid: GoDurationResult = { ok: false, problem: "not a Go duration" };
  let s = text;
  let negative = false;
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    negative = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return { ok: true, nanoseconds: 0n };
  if (s === "") return invalid;
  let total = 0n;
  while (s !== "") {
    // The next character must be [0-9.]
    if (!(s[0] === "." || isAsciiDigit(s[0]))) return invalid;
    // leadingInt: [0-9]*, refusing more than 2^63.
    let v = 0n;
    let i = 0;
    for (; i < s.length && isAsciiDigit(s[i]); i++) {
      if (v > TWO_POW_63 / 10n) return { ok: false, problem: "too large" };
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > TWO_POW_63) return { ok: false, problem: "too large" };
    }
    const digitsBefore = i > 0;
    s = s.slice(i);
    // leadingFraction: (\.[0-9]*)?, keeping what fits in a uint64 and ignoring further digits.
    let fraction = 0n;
    let scale = 1;
    let digitsAfter = false;
    if (s !== "" && s[0] === ".") {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      for (; j < s.length && isAsciiDigit(s[j]); j++) {
        if (overflow) continue;
        if (fraction > (TWO_POW_63 - 1n) / 10n) {
          overflow = true;
          continue;
        }
        const next = fraction * 10n + BigInt(s.charCodeAt(j) - 48);
        if (next > TWO_POW_63) {
          overflow = true;
          continue;
        }
        fraction = next;
        scale *= 10;
      }
      digitsAfter = j > 0;
      s = s.slice(j);
    }
    if (!digitsBefore && !digitsAfter) return invalid;
    // The unit: everything up to the next "." or digit.
    let k = 0;
    while (k < s.length && s[k] !== "." && !isAsciiDigit(s[k])) k++;
    if (k === 0) return { ok: false, problem: "a number without a unit (ns, us, ms, s, m, h)" };
    const unitText = s.slice(0, k);
    s = s.slice(k);
    const unit = GO_DURATION_UNITS.get(unitText);
    if (unit === undefined) return { ok: false, problem: `unknown unit ${JSON.stringify(unitText)}; units are ns, us, µs, ms, s, m, h` };
    if (v > TWO_POW_63 / unit) return { ok: false, problem: "too large" };
    v *= unit;
    if (fraction > 0n) {
      // Go: v += uint64(float64(f) * (float64(unit) / scale)); both conversions round/truncate as Number/Math.trunc do.
      v += BigInt(Math.trunc(Number(fraction) * (Number(unit) / scale)));
      if (v > TWO_POW_63) return { ok: false, problem: "too large" };
    }
    // uint64 addition: both are at most 2^63, so only 2^63 + 2^63 wraps, to 0, which Go then lets through
    // ("9223372036854775808ns9223372036854775808ns" is 0s). Mirrored, absurd as it is.
    total = (total + v) % TWO_POW_64;
    if (total > TWO_POW_63) return { ok: false, problem: "too large" };
  }
  if (negative) return { ok: true, nanoseconds: -total };
  if (total > TWO_POW_63 - 1n) return { ok: false, problem: "too large" };
  return { ok: true, nanoseconds: total };
}

/** How robfig's Every (constantdelay.go:14-21) stores a duration: at least 1s, whole seconds. */
function everyDelay(nanoseconds: bigint): bigint {
  const d = nanoseconds < NS_PER_SECOND ? NS_PER_SECOND : nanoseconds;
  return d - (d % NS_PER_SECOND);
}

/** Go's Duration.String for a positive whole number of seconds: "1h30m0s", "1m30s", "1s". */
function formatWholeSeconds(nanoseconds: bigint): string {
  const total = nanoseconds / NS_PER_SECOND;
  const h = total / 3600n;
  const m = (total % 3600n) / 60n;
  const sec = total % 60n;
  if (h > 0n) return `${h}h${m}m${sec}s`;
  if (m > 0n) return `${m}m${sec}s`;
  return `${sec}s`;
}

function everyWarning(text: string, nanoseconds: bigint): string | undefined {
  if (nanoseconds < NS_PER_SECOND) {
    return `@every ${text} is under 1s: the scheduler raises it to 1s and runs a backup every second`;
  }
  if (nanoseconds % NS_PER_SECOND !== 0n) {
    return `@every ${text} runs every ${formatWholeSeconds(everyDelay(nanoseconds))}: the scheduler drops fractions of a second`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------------
// The cron parser

/**
 * Go's unicode.IsSpace, which strings.Fields and strings.TrimSpace use: \t \n \v \f \r, space, U+0085, U+00A0 and the
 * Unicode White_Space characters U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000. (JavaScript's \s
 * differs: it has U+FEFF and lacks U+0085.)
 */
const GO_SPACE_CLASS = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const GO_SPACES = new RegExp(`[${GO_SPACE_CLASS}]+`);
const GO_EDGE_SPACES = new RegExp(`^[${GO_SPACE_CLASS}]+|[${GO_SPACE_CLASS}]+$`, "g");

/** strings.Fields */
function goFields(s: string): string[] {
  return s.split(GO_SPACES).filter((f) => f !== "");
}

/** strings.TrimSpace */
function goTrimSpace(s: string): string {
  return s.replace(GO_EDGE_SPACES, "");
}

interface Bounds {
  /** How a phrase names the field. */
  readonly field: string;
  readonly min: number;
  readonly max: number;
  /** Lower-case names (spec.go:26-48), looked up with strings.ToLower. */
  readonly names?: ReadonlyMap<string, number>;
  /** The names, as a phrase shows them. */
  readonly nameRange?: string;
}

const MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DOW_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/** spec.go:21-49, in the order of `places` (parser.go:29-36). */
const FIELDS: readonly Bounds[] = [
  { field: "second", min: 0, max: 59 },
  { field: "minute", min: 0, max: 59 },
  { field: "hour", min: 0, max: 23 },
  { field: "day of month", min: 1, max: 31 },
  { field: "month", min: 1, max: 12, names: new Map(MONTH_NAMES.map((n, i) => [n, i + 1])), nameRange: "JAN-DEC" },
  { field: "day of week", min: 0, max: 6, names: new Map(DOW_NAMES.map((n, i) => [n, i])), nameRange: "SUN-SAT" },
];

/** A parsed field: the values it selects, and robfig's star bit (spec.go:53), which decides how days match. */
interface Field {
  readonly text: string;
  readonly values: ReadonlySet<number>;
  readonly star: boolean;
}

type Schedule =
  | { readonly kind: "descriptor"; readonly name: string }
  | { readonly kind: "every"; readonly text: string; readonly nanoseconds: bigint }
  | { readonly kind: "fields"; readonly fields: readonly Field[] };

type Parsed<T> = { readonly ok: true; readonly schedule: T } | { readonly ok: false; readonly problem: string };

function fail<T>(problem: string): Parsed<T> {
  return { ok: false, problem };
}

/** Parser.Parse (parser.go:88-153) with go-cron's options. */
function parseSchedule(schedule: string): Parsed<Schedule> {
  // R1 (parser.go:89-91)
  if (schedule.length === 0) return fail(`the schedule is empty; use e.g. ${quoteExamples()}`);

  // R2 (parser.go:93-103)
  let spec = schedule;
  if (spec.startsWith("TZ=") || spec.startsWith("CRON_TZ=")) {
    const space = spec.indexOf(" ");
    const eq = spec.indexOf("=");
    const prefix = spec.slice(0, eq + 1);
    if (space === -1) {
      // spec[eq+1 : -1] panics: go-cron dies before it can report anything.
      return fail(`${JSON.stringify(schedule)} has a ${prefix} time zone but no space and schedule after it`);
    }
    const location = spec.slice(eq + 1, space);
    const problem = locationProblem(location);
    if (problem !== undefined) return fail(`${prefix}${location}: ${problem}`);
    spec = goTrimSpace(spec.slice(space));
  }

  // R3, R4 (parser.go:105-111)
  if (spec.startsWith("@")) return parseDescriptor(spec);

  // R5 (parser.go:114-121, normalizeFields parser.go:160-215)
  const texts = goFields(spec);
  if (texts.length < 5 || texts.length > 6) {
    const trimmed = goTrimSpace(spec);
    if (texts.length === 0 && spec !== schedule) {
      return fail(`${JSON.stringify(schedule)} has a time zone but no schedule after it`);
    }
    if (texts.length === 1 && trimmed.startsWith("@")) {
      return fail(`descriptor ${JSON.stringify(trimmed)} must start the schedule, with no whitespace before it`);
    }
    return fail(
      `expected 5 fields (minute hour day-of-month month day-of-week) or 6 (second first), found ${texts.length} in ${JSON.stringify(spec)}`,
    );
  }
  if (texts.length === 5) texts.unshift("0");

  // R6-R8 (parser.go:132-139): fields in order, first failure wins.
  const fields: Field[] = [];
  for (let i = 0; i < FIELDS.length; i++) {
    const field = parseField(texts[i], FIELDS[i]);
    if (!field.ok) return field;
    fields.push(field.schedule);
  }
  return { ok: true, schedule: { kind: "fields", fields } };
}

function quoteExamples(): string {
  return SCHEDULE_EXAMPLES.map((e) => JSON.stringify(e)).join(", ");
}

/** parseDescriptor (parser.go:365-434). */
function parseDescriptor(descriptor: string): Parsed<Schedule> {
  if (SCHEDULE_DESCRIPTORS.includes(descriptor)) return { ok: true, schedule: { kind: "descriptor", name: descriptor } };

  const every = "@every ";
  if (descriptor.startsWith(every)) {
    const text = descriptor.slice(every.length);
    const duration = parseGoDuration(text);
    if (!duration.ok) {
      const spaces = text !== goTrimSpace(text) ? ", with no spaces around it" : "";
      return fail(`@every needs a Go duration such as 1h30m${spaces}, got ${JSON.stringify(text)} (${duration.problem})`);
    }
    return { ok: true, schedule: { kind: "every", text, nanoseconds: duration.nanoseconds } };
  }

  // Refused from here on ("unrecognized descriptor", parser.go:433); the phrase says why.
  const trimmed = goTrimSpace(descriptor);
  if (trimmed !== descriptor && (SCHEDULE_DESCRIPTORS.includes(trimmed) || trimmed.startsWith(every))) {
    return fail(`descriptor ${JSON.stringify(descriptor)} has whitespace after it, which the scheduler refuses`);
  }
  const lower = descriptor.toLowerCase();
  if (SCHEDULE_DESCRIPTORS.includes(lower)) {
    return fail(`descriptor ${JSON.stringify(descriptor)} must be written in lower case: ${JSON.stringify(lower)}`);
  }
  if (lower === "@every" || lower.startsWith("@every")) {
    return fail(`@every needs one space and a Go duration after it, e.g. "@every 6h"; got ${JSON.stringify(descriptor)}`);
  }
  return fail(`unknown descriptor ${JSON.stringify(descriptor)}; known: ${SCHEDULE_DESCRIPTORS.join(", ")}, @every <duration>`);
}

/**
 * time.LoadLocation (src/time/zoneinfo.go), approximated where it reads the container's zoneinfo files: Node's ICU
 * data stands in for them, and a canonical name must be spelled in its case (the lookup is a case-sensitive path).
 */
function locationProblem(name: string): string | undefined {
  if (name === "" || name === "UTC" || name === "Local") return undefined;
  if (name.includes("..") || name.startsWith("/") || name.startsWith("\\")) return "not a valid time zone name";
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return `unknown time zone ${JSON.stringify(name)} (use an IANA name such as Europe/Paris)`;
  }
  if (resolved !== name && resolved.toLowerCase() === name.toLowerCase()) {
    return `time zone names are case-sensitive: write ${JSON.stringify(resolved)}, not ${JSON.stringify(name)}`;
  }
  return undefined;
}

/** getField (parser.go:236-247): a comma list, empty items dropped (strings.FieldsFunc). */
function parseField(text: string, bounds: Bounds): Parsed<Field> {
  const values = new Set<number>();
  let star = false;
  for (const item of text.split(",").filter((x) => x !== "")) {
    const range = parseRange(item, bounds);
    if (!range.ok) return range;
    for (const v of range.schedule.values) values.add(v);
    star ||= range.schedule.star;
  }
  return { ok: true, schedule: { text, values, star } };
}

/** strconv.Atoi on a 64-bit platform: optional sign, ASCII digits, int64. */
function goAtoi(text: string): bigint | "syntax" | "range" {
  if (!/^[+-]?[0-9]+$/.test(text)) return "syntax";
  const n = BigInt(text);
  return n > TWO_POW_63 - 1n || n < -TWO_POW_63 ? "range" : n;
}

/** getRange (parser.go:252-318) for one list item. */
function parseRange(expr: string, b: Bounds): Parsed<Field> {
  const where = (part: string): string => (part === expr ? "" : ` in ${JSON.stringify(expr)}`);
  const outside = (n: bigint | string, part: string): string => {
    const sunday = b.field === "day of week" && String(n) === "7" ? "; Sunday is 0 or SUN" : "";
    return `${b.field} ${n} is outside ${b.min}-${b.max}${sunday}${where(part)}`;
  };

  /** parseIntOrName / mustParseInt (parser.go:321-341) for a start or end. */
  const value = (part: string): Parsed<bigint> => {
    const named = b.names?.get(part.toLowerCase());
    if (named !== undefined) return { ok: true, schedule: BigInt(named) };
    const n = goAtoi(part);
    if (n === "range") return fail(outside(part.replace(/^\+/, ""), part));
    if (n === "syntax") {
      if (part === "") return fail(`${b.field} ${JSON.stringify(expr)} is missing a number`);
      const names = b.nameRange ? ` or a name ${b.nameRange}` : "";
      return fail(`${b.field} ${JSON.stringify(part)} is not a number${names}${where(part)}`);
    }
    // Only a step can be negative here: in a start or end the "-" is a range separator.
    if (n < 0n) return fail(`${b.field} ${n} is negative${where(part)}`);
    return { ok: true, schedule: n };
  };

  const rangeAndStep = expr.split("/");
  const lowAndHigh = rangeAndStep[0].split("-");
  const singleValue = lowAndHigh.length === 1;

  let start: bigint;
  let end: bigint;
  let star = false;
  if (lowAndHigh[0] === "*" || lowAndHigh[0] === "?") {
    // R8a (parser.go:262-265); anything after a "-" is ignored.
    start = BigInt(b.min);
    end = BigInt(b.max);
    star = true;
  } else {
    const low = value(lowAndHigh[0]);
    if (!low.ok) return low;
    start = low.schedule;
    if (lowAndHigh.length === 1) {
      end = start;
    } else if (lowAndHigh.length === 2) {
      const high = value(lowAndHigh[1]);
      if (!high.ok) return high;
      end = high.schedule;
    } else {
      return fail(`${b.field} ${JSON.stringify(expr)} has more than one "-"`);
    }
  }

  // R8c (parser.go:284-302)
  let step = 1n;
  if (rangeAndStep.length === 2) {
    const stepText = rangeAndStep[1];
    const n = goAtoi(stepText);
    if (n === "syntax") {
      const what = stepText === "" ? "is missing" : `${JSON.stringify(stepText)} is not a number`;
      return fail(`${b.field} step ${what} in ${JSON.stringify(expr)}`);
    }
    if (n === "range") return fail(`${b.field} step ${stepText} is too large in ${JSON.stringify(expr)}`);
    if (n < 0n) return fail(`${b.field} step ${n} is negative in ${JSON.stringify(expr)}`);
    step = n;
    if (singleValue) end = BigInt(b.max); // "N/step" is "N-max/step"
    if (step > 1n) star = false;
  } else if (rangeAndStep.length > 2) {
    return fail(`${b.field} ${JSON.stringify(expr)} has more than one "/"`);
  }

  // R8d (parser.go:304-315), in this order.
  if (start < BigInt(b.min)) return fail(outside(start, lowAndHigh[0]));
  if (end > BigInt(b.max)) return fail(outside(end, lowAndHigh.length === 2 ? lowAndHigh[1] : lowAndHigh[0]));
  if (start > end) {
    // With "N/step" the end is max, so this is N above max.
    if (singleValue) return fail(outside(start, lowAndHigh[0]));
    return fail(`${b.field} range ${JSON.stringify(expr)} starts after it ends (${start} > ${end})`);
  }
  if (step === 0n) return fail(`${b.field} step 0 in ${JSON.stringify(expr)} must be at least 1`);

  // getBits (parser.go:344-357)
  const values = new Set<number>();
  for (let i = start; i <= end; i += step) values.add(Number(i));
  return { ok: true, schedule: { text: expr, values, star } };
}

// ---------------------------------------------------------------------------------------------------------------------
// Schedules that parse but never fire

/** The most days a month has in some year in the next five (February 29 included), months 1-12. */
const DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** SpecSchedule.Next (spec.go:58-175) finds nothing when a field selects nothing or no date matches the days. */
function neverFiresWarning(fields: readonly Field[]): string | undefined {
  const [second, minute, hour, dom, month, dow] = fields;
  for (const [f, b] of [
    [second, FIELDS[0]],
    [minute, FIELDS[1]],
    [hour, FIELDS[2]],
    [month, FIELDS[4]],
  ] as const) {
    if (f.values.size === 0) return `never fires: the ${b.field} field ${JSON.stringify(f.text)} selects no value`;
  }
  const monthDayExists = [...month.values].some((m) => [...dom.values].some((d) => d <= DAYS_IN_MONTH[m]));
  const why = `no month in ${JSON.stringify(month.text)} has a day ${JSON.stringify(dom.text)}`;
  // dayMatches (spec.go:179-188)
  if (dom.star || dow.star) {
    // Both must match. A star day of month is every day, which every weekday falls on.
    if (dow.star && !monthDayExists) return `never fires: ${why}`;
    if (dow.values.size === 0) return `never fires: the day of week field ${JSON.stringify(dow.text)} selects no value`;
    return undefined;
  }
  // Either may match.
  if (!monthDayExists && dow.values.size === 0) return `never fires: ${why} and the day of week field selects no value`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------------
// The longest wait between two runs

/** The descriptors as robfig's parseDescriptor builds them (parser.go:366-422), as their longest interval in seconds. */
const DESCRIPTOR_MAX_INTERVAL: ReadonlyMap<string, number> = new Map([
  // "0 0 0 1 1 *": January 1st, 366 days apart across a leap year.
  ["@yearly", 366 * 86400],
  ["@annually", 366 * 86400],
  // "0 0 0 1 * *": the 1st of each month, 31 days apart at most.
  ["@monthly", 31 * 86400],
  // "0 0 0 * * 0": Sundays.
  ["@weekly", 7 * 86400],
  // "0 0 0 * * *"
  ["@daily", 86400],
  ["@midnight", 86400],
  // "0 0 * * * *"
  ["@hourly", 3600],
]);

/** Days scanned for a field schedule's matching dates: two 28-year cycles of weekdays over dates (no century gap). */
const SCAN_START_UTC = Date.UTC(2025, 0, 1);
const SCAN_DAYS = 2 * 10227;

/**
 * The longest time, in seconds, between two consecutive runs of `schedule` (a schedule backupScheduleProblem accepts),
 * so the backup-age alert can follow the stack's backupSchedule: `@every d` is d (at least 1 s, whole seconds, as
 * robfig's Every keeps it), a descriptor its longest interval, and a field schedule the longest gap between the times
 * SpecSchedule.Next would pick (spec.go:58-175), found from the times of day it selects and the dates it matches
 * (dayMatches, spec.go:179-188) over 56 years. A schedule in a time zone other than UTC gets an hour more, for a
 * daylight-saving change (the container's Local is UTC: TZ=UTC in backup-sidecar.ts). Undefined for a schedule the
 * sidecar would not run.
 */
export function scheduleMaxIntervalSeconds(schedule: string): number | undefined {
  if (backupScheduleProblem(schedule) !== undefined) return undefined;
  const parsed = parseSchedule(schedule);
  if (!parsed.ok) return undefined;
  const zone = /^(?:CRON_)?TZ=([^ ]*) /.exec(schedule)?.[1];
  const dst = zone === undefined || zone === "" || zone === "UTC" || zone === "Local" ? 0 : 3600;
  const s = parsed.schedule;
  switch (s.kind) {
    case "descriptor":
      return (DESCRIPTOR_MAX_INTERVAL.get(s.name) ?? 0) + dst;
    case "every":
      return Number(everyDelay(s.nanoseconds) / NS_PER_SECOND) + dst;
    case "fields":
      return fieldsMaxInterval(s.fields) + dst;
  }
}

function fieldsMaxInterval(fields: readonly Field[]): number {
  const [second, minute, hour, dom, month, dow] = fields;
  // The times of day it selects (the same on every matching date), in seconds, ascending.
  const times: number[] = [];
  for (const h of [...hour.values].sort((a, b) => a - b)) {
    for (const m of [...minute.values].sort((a, b) => a - b)) {
      for (const sec of [...second.values].sort((a, b) => a - b)) times.push(h * 3600 + m * 60 + sec);
    }
  }
  let longest = 0;
  for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i] - times[i - 1]);
  // Between the last run of one matching date and the first of the next.
  const both = dom.star || dow.star;
  let previous: number | undefined;
  let longestDays = 0;
  for (let day = 0; day < SCAN_DAYS; day++) {
    const date = new Date(SCAN_START_UTC + day * 86400_000);
    if (!month.values.has(date.getUTCMonth() + 1)) continue;
    const d = dom.values.has(date.getUTCDate());
    const w = dow.values.has(date.getUTCDay());
    if (!(both ? d && w : d || w)) continue;
    if (previous !== undefined) longestDays = Math.max(longestDays, day - previous);
    previous = day;
  }
  if (longestDays > 0) longest = Math.max(longest, longestDays * 86400 - (times[times.length - 1] - times[0]));
  return longest;
}
