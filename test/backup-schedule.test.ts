/**
 * The backup sidecar's schedule check (components/backup/schedule.ts) against what its scheduler does:
 * prodrigestivill/postgres-backup-local runs go-cron v0.0.11, whose parser is robfig/cron v3.0.1's
 * `NewParser(SecondOptional | Minute | Hour | Dom | Month | Dow | Descriptor)`.
 *
 * The cases mirror robfig/cron v3.0.1 (ccba498c397bb90a9c84945bbb0f7af2d72b6309) tests:
 * - parser_test.go TestRange (lines 12-58): "5--5" too many hyphens, "jan-x" not a number, "*\/-12" negative,
 *   "*\/\/2" too many slashes, below minimum, above maximum, "5-3" beyond end, "*\/0" not positive, "5-7/2", "*\/2";
 * - TestField (60-78): lists "5,6,7", "1,5-7/2,3";
 * - TestParseScheduleErrors (121-138): "* 5 j * * *", "@every Xm", "@unrecognized", "* * * *", "";
 * - TestParseSchedule (140-182): "CRON_TZ=UTC  0 5 * * * *", "TZ=UTC  @midnight", "TZ=Asia/Tokyo @midnight",
 *   "@every 5m", "@midnight", "@yearly", "@annually", "* 5 * * * *";
 * - TestOptionalSecondSchedule (184-204, go-cron's very options): "0 5 * * * *", "5 5 * * * *", "5 * * * *";
 * - TestNormalizeFields_Errors (270-313): too many and too few fields;
 * - TestStandardSpecSchedule (315-351) and the ParseStandard doc (parser.go:227): "5 * * * *", "* * * * ?";
 * - spec_test.go TestNext (74-200): its 6-field specs with steps, names and "?" as valid, its "Unsatisfiable"
 *   "0 0 0 30 Feb ?" and "0 0 0 31 Apr ?" (176-177) as never firing; TestErrors (202-215): "xyz", "60 0 * * *",
 *   "0 60 * * *", "0 0 * * XYZ"; TestSlash0NoHang (294-300): "TZ=America/New_York 15/0 * * * *";
 * - constantdelay_test.go TestConstantDelayNext (8-54): under 1s rounds up to 1s, fractions of a second dropped.
 * Go's time.ParseDuration cases follow its documented grammar (src/time/format.go).
 */
import assert from "node:assert/strict";
import {
  SCHEDULE_DESCRIPTORS,
  SCHEDULE_EXAMPLES,
  parseGoDuration,
  scheduleMaxIntervalSeconds,
  scheduleProblem,
  scheduleWarning,
} from "../components/backup/schedule";

const SECOND = 1_000_000_000n;

/** Asserts the scheduler refuses `schedule` with a phrase matching every pattern. */
function assertRefused(schedule: string, ...patterns: RegExp[]): void {
  const problem = scheduleProblem(schedule);
  assert.ok(problem !== undefined, `${JSON.stringify(schedule)} should be refused`);
  assert.ok(!problem.includes("\n"), `one line: ${problem}`);
  for (const p of patterns) assert.match(problem, p, `${JSON.stringify(schedule)} => ${problem}`);
}

describe("backup schedule: accepted as go-cron v0.0.11 (robfig/cron v3.0.1) accepts it", () => {
  const accepted: readonly (readonly [string, string])[] = [
    // Descriptors, exact and lower case (parser.go:366-422).
    ...SCHEDULE_DESCRIPTORS.map((d) => [d, "descriptor"] as const),
    // @every with Go durations (parser.go:424-431).
    ["@every 1h30m", "@every with two components"],
    ["@every 90m", "@every over an hour in minutes"],
    ["@every 5m", "TestParseSchedule"],
    ["@every 1.5h", "@every with a fraction"],
    ["@every 6h", "@every in hours"],
    // 5 fields (seconds default to 0) and 6 fields (seconds first).
    ["0 3 * * *", "daily at 03:00"],
    ["0 0 3 * * *", "daily at 03:00:00"],
    ["5 * * * *", "TestOptionalSecondSchedule: 5 fields"],
    ["0 5 * * * *", "TestOptionalSecondSchedule: 6 fields"],
    ["5 5 * * * *", "TestOptionalSecondSchedule: 6 fields, seconds set"],
    ["* 5 * * * *", "TestParseSchedule"],
    // Lists, ranges, steps.
    ["0,30 * * * *", "a list"],
    ["5,6,7 * * * *", "TestField"],
    ["1,5-7/2,3 * * * *", "TestField: list of ranges with steps"],
    ["5-7/2 * * * *", "TestRange: range with step"],
    ["*/15 * * * *", "a star with a step"],
    ["0 0/15 * * * *", "TestNext: N/step is N-max/step"],
    ["5/10 * * * *", "a single value with a step"],
    ["15/35 20-35/15 1/2 */2 * *", "TestNext"],
    ["*/100 * * * *", "a step larger than the range"],
    ["0 9-17 * * 1-5", "working hours"],
    ["0 0 1-31/2 * *", "odd days"],
    // Names, case-insensitive, in month and day of week only.
    ["0 9 * * MON-FRI", "weekday names"],
    ["0 0 * jan-mar sun", "lower-case names"],
    ["0 0 * Dec Sat", "mixed-case names"],
    ["0 0 0 9 Apr-Oct ?", "TestNext: month names and ?"],
    ["0 0 0 */5 Apr,Aug,Oct Mon", "TestNext: list of month names"],
    ["0 0 0 * Feb Mon/2", "TestNext: a name with a step"],
    // "?" is a star in any field (parser.go:262).
    ["* * * * ?", "ParseStandard doc"],
    ["? ? ? ? ?", "? everywhere"],
    // Time zone prefixes (parser.go:93-103).
    ["CRON_TZ=UTC  0 5 * * * *", "TestParseSchedule: CRON_TZ"],
    ["TZ=UTC  @midnight", "TestParseSchedule: TZ and a descriptor"],
    ["TZ=Asia/Tokyo @midnight", "TestParseSchedule: IANA name"],
    ["CRON_TZ=Asia/Tokyo 0 5 * * * *", "TestParseSchedule"],
    ["TZ=America/New_York 0 30 2 11 Mar ?", "TestNext: DST"],
    ["TZ=Europe/Paris 0 3 * * *", "a European zone"],
    ["TZ=Local @daily", "LoadLocation's Local"],
    ["TZ= @daily", "LoadLocation(\"\") is UTC"],
    ["TZ=UTC   @every 1h", "the rest is trimmed"],
    // Whitespace: strings.Fields splits on any Unicode space, around fields too.
    [" 0 3 * * * ", "spaces around fields"],
    ["0\t3 * *\u00a0*", "tab and no-break space separate fields"],
    // Go's Atoi and FieldsFunc, mirrored as they are.
    ["05 03 * * *", "leading zeros"],
    ["+5 * * * *", "Atoi takes a plus sign"],
    ["1,,2 * * * *", "empty list items are dropped"],
    ["*-5 * * * *", "after * a range end is ignored (getRange quirk)"],
  ];
  for (const [schedule, why] of accepted) {
    it(`${JSON.stringify(schedule)} (${why})`, () => {
      assert.equal(scheduleProblem(schedule), undefined);
    });
  }

  it("the examples are accepted and run as written", () => {
    for (const e of SCHEDULE_EXAMPLES) {
      assert.equal(scheduleProblem(e), undefined, e);
      assert.equal(scheduleWarning(e), undefined, e);
    }
  });
});

describe("backup schedule: refused as the scheduler refuses it, naming the field and value", () => {
  it("the issue's case: 99 99 * * * (first bad field wins, as in Parse)", () => {
    assertRefused("99 99 * * *", /^minute 99 is outside 0-59$/);
  });
  it("wrong field counts (TestParseScheduleErrors, TestNormalizeFields_Errors)", () => {
    assertRefused("* * * *", /expected 5 fields/, /or 6/, /found 4/, /"\* \* \* \*"/);
    assertRefused("0 0 3 * * * *", /found 7/);
    assertRefused("xyz", /found 1/, /"xyz"/);
    assertRefused("   ", /found 0/);
  });
  it("empty", () => {
    assertRefused("", /empty/, /@daily/);
  });
  it("@every needs a Go duration", () => {
    assertRefused("@every 90 minutes", /^@every needs a Go duration such as 1h30m, got "90 minutes"/, /unknown unit " minutes"/);
    assertRefused("@every Xm", /@every/, /"Xm"/);
    assertRefused("@every 1h 30m", /"1h 30m"/, /unknown unit "h "/);
    assertRefused("@every 1d", /"1d"/, /unknown unit "d"/);
    assertRefused("@every 90", /"90"/, /without a unit/);
    assertRefused("@every ", /got ""/);
    assertRefused("@every", /@every needs one space and a Go duration/);
    assertRefused("@every 1h ", /"1h "/, /no spaces/);
    assertRefused("@every 2562048h", /"2562048h"/, /too large/);
  });
  it("steps", () => {
    assertRefused("*/0 * * * *", /^minute step 0 in "\*\/0" must be at least 1$/);
    assertRefused("TZ=America/New_York 15/0 * * * *", /minute step 0 in "15\/0"/); // TestSlash0NoHang
    assertRefused("*/-12 * * * *", /minute step -12 is negative/);
    assertRefused("*//2 * * * *", /minute "\*\/\/2" has more than one "\/"/);
    assertRefused("*/ * * * *", /minute step is missing/);
    assertRefused("0 0 * * 1/SUN", /day of week step "SUN" is not a number/);
  });
  it("ranges", () => {
    assertRefused("5-1 * * * *", /^minute range "5-1" starts after it ends \(5 > 1\)$/);
    assertRefused("5--5 * * * *", /minute "5--5" has more than one "-"/);
    assertRefused("1- * * * *", /minute "1-" is missing a number/);
    assertRefused("50-99 * * * *", /minute 99 is outside 0-59 in "50-99"/);
    assertRefused("70/5 * * * *", /minute 70 is outside 0-59 in "70\/5"/);
  });
  it("per-field bounds (spec.go:21-49)", () => {
    assertRefused("60 0 * * * *", /^second 60 is outside 0-59$/);
    // TestErrors' 5-field specs: minute first, then hour.
    assertRefused("60 0 * * *", /^minute 60 is outside 0-59$/);
    assertRefused("0 60 * * *", /^hour 60 is outside 0-23$/);
    assertRefused("0 24 * * *", /^hour 24 is outside 0-23$/);
    assertRefused("0 0 32 * *", /^day of month 32 is outside 1-31$/);
    assertRefused("0 0 0 * *", /^day of month 0 is outside 1-31$/);
    assertRefused("0 0 * 13 *", /^month 13 is outside 1-12$/);
    assertRefused("0 0 * 0 *", /^month 0 is outside 1-12$/);
    assertRefused("0 0 * * 8", /^day of week 8 is outside 0-6$/);
    assertRefused("0 0 * * 7", /^day of week 7 is outside 0-6; Sunday is 0 or SUN$/);
    assertRefused("99999999999999999999 * * * *", /minute 99999999999999999999 is outside 0-59/);
  });
  it("names only where robfig has them", () => {
    assertRefused("* 5 j * * *", /^hour "j" is not a number$/); // TestParseScheduleErrors
    assertRefused("0 0 * * XYZ", /day of week "XYZ" is not a number or a name SUN-SAT/); // TestErrors
    assertRefused("0 0 1 jan-x *", /month "x" is not a number or a name JAN-DEC in "jan-x"/); // TestRange
    assertRefused("0 0 * JANUARY *", /month "JANUARY"/);
    assertRefused("jan * * * *", /minute "jan" is not a number$/);
  });
  it("descriptors: exact, lower case, nothing around them", () => {
    assertRefused("@sometimes", /unknown descriptor "@sometimes"/, /@daily/);
    assertRefused("@unrecognized", /unknown descriptor "@unrecognized"/); // TestParseScheduleErrors
    assertRefused("@Daily", /"@Daily" must be written in lower case: "@daily"/);
    assertRefused("@daily ", /descriptor "@daily " has whitespace after it/);
    assertRefused(" @daily", /descriptor "@daily" must start the schedule/);
  });
  it("time zone prefixes", () => {
    assertRefused("TZ=UTC", /"TZ=UTC" has a TZ= time zone but no space/);
    assertRefused("TZ=UTC ", /"TZ=UTC " has a time zone but no schedule/);
    assertRefused("TZ=Mars/Olympus 0 3 * * *", /TZ=Mars\/Olympus: unknown time zone "Mars\/Olympus"/);
    assertRefused("CRON_TZ=europe/paris 0 3 * * *", /case-sensitive/, /"Europe\/Paris"/);
    assertRefused("TZ=../etc/passwd 0 3 * * *", /not a valid time zone name/);
    assertRefused("TZ=UTC 99 * * * *", /minute 99/);
  });
});

describe("backup schedule: accepted, but not what was meant (scheduleWarning)", () => {
  it("@every under a second runs every second (Every, constantdelay.go:14-21)", () => {
    for (const s of ["@every 0s", "@every 0", "@every 500ms", "@every -1h"]) {
      assert.equal(scheduleProblem(s), undefined, s);
      assert.match(scheduleWarning(s) ?? "", /under 1s/, s);
      assert.match(scheduleWarning(s) ?? "", /every second/, s);
    }
  });
  it("@every drops fractions of a second", () => {
    assert.match(scheduleWarning("@every 1500ms") ?? "", /runs every 1s/);
    assert.match(scheduleWarning("@every 1h30m0.5s") ?? "", /runs every 1h30m0s/);
    assert.equal(scheduleWarning("@every 1.5h"), undefined);
  });
  it("schedules with no matching date never fire (spec.go Next returns the zero time)", () => {
    assert.match(scheduleWarning("0 0 0 30 Feb ?") ?? "", /never fires/); // TestNext: Unsatisfiable
    assert.match(scheduleWarning("0 0 0 31 Apr ?") ?? "", /never fires/);
    assert.match(scheduleWarning("0 0 31 2 *") ?? "", /never fires: no month in "2" has a day "31"/);
    assert.match(scheduleWarning("0 0 31 4,6,9,11 *") ?? "", /never fires/);
    assert.match(scheduleWarning(", * * * *") ?? "", /never fires: the minute field "," selects no value/);
    assert.match(scheduleWarning("0 0 * * ,") ?? "", /day of week field "," selects no value/);
  });
  it("but day of month OR day of week when neither is a star (dayMatches)", () => {
    assert.equal(scheduleWarning("0 0 31 2 MON"), undefined);
    assert.equal(scheduleWarning("0 0 0 29 Feb ?"), undefined); // TestNext: Leap year
    assert.equal(scheduleWarning("0 0 31 4,5 *"), undefined);
    // "*/2" loses the star bit (parser.go:297-299), so this is Feb 31 OR Sun/Tue/Thu/Sat in February: it fires.
    assert.equal(scheduleWarning("0 0 31 2 */2"), undefined);
    // "*/1" keeps it: Feb 31 AND any weekday, never.
    assert.match(scheduleWarning("0 0 31 2 */1") ?? "", /never fires/);
  });
  it("says nothing about refused schedules", () => {
    assert.equal(scheduleWarning("99 99 * * *"), undefined);
  });
});

describe("Go duration parser (time.ParseDuration)", () => {
  const ok: readonly (readonly [string, bigint])[] = [
    ["1h30m", 5400n * SECOND],
    ["90m", 5400n * SECOND],
    ["1.5h", 5400n * SECOND],
    ["6h", 6n * 3600n * SECOND],
    ["300ms", 300_000_000n],
    [".5s", 500_000_000n],
    ["1.s", SECOND],
    ["1us", 1000n],
    ["1\u00b5s", 1000n],
    ["1\u03bcs", 1000n],
    ["10ns", 10n],
    ["-1h", -3600n * SECOND],
    ["+5m", 300n * SECOND],
    ["0", 0n],
    ["-0", 0n],
    ["0s", 0n],
    ["1h0.5m", 3630n * SECOND],
    ["9223372036854775807ns", 9223372036854775807n],
    ["-9223372036854775808ns", -9223372036854775808n],
    ["0.000000001s", 1n],
    ["1.0000000000000000000000001s", SECOND], // fraction digits past uint64 precision are ignored
    ["9223372036854775808ns9223372036854775808ns", 0n], // Go's uint64 sum wraps 2^63 + 2^63 to 0 and lets it through
  ];
  for (const [text, ns] of ok) {
    it(`${JSON.stringify(text)} is ${ns}ns`, () => {
      assert.deepEqual(parseGoDuration(text), { ok: true, nanoseconds: ns });
    });
  }
  const bad: readonly (readonly [string, RegExp])[] = [
    ["", /not a Go duration/],
    ["-", /not a Go duration/],
    [".", /not a Go duration/],
    [".s", /not a Go duration/],
    ["h", /not a Go duration/],
    ["1", /without a unit/],
    ["1H", /unknown unit "H"/],
    ["1d", /unknown unit "d"/],
    ["90 minutes", /unknown unit " minutes"/],
    ["1h-30m", /unknown unit "h-"/],
    ["9223372036854775808ns", /too large/],
    ["2562048h", /too large/],
  ];
  for (const [text, reason] of bad) {
    it(`${JSON.stringify(text)} is refused`, () => {
      const r = parseGoDuration(text);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.problem, reason);
    });
  }
});

describe("scheduleMaxIntervalSeconds (the backup-age alert's expected interval)", () => {
  const cases: ReadonlyArray<readonly [string, number | undefined]> = [
    ["@daily", 86400],
    ["@midnight", 86400],
    ["@hourly", 3600],
    ["@weekly", 7 * 86400],
    ["@monthly", 31 * 86400],
    ["@yearly", 366 * 86400],
    ["@every 6h", 21600],
    ["@every 1h30m", 5400],
    ["0 3 * * *", 86400],
    ["0 0 3 * * *", 86400],
    ["*/15 * * * *", 900],
    ["0 2,14 * * *", 12 * 3600],
    // 02:00, 03:00 and 14:00: the longest is 14:00 to 02:00 the next day.
    ["0 2,3,14 * * *", 12 * 3600],
    ["0 1,2 * * *", 23 * 3600],
    // Weekdays only: Friday 03:00 to Monday 03:00.
    ["0 3 * * 1-5", 3 * 86400],
    // Day of month and day of week both restricted: either matches (the 1st or a Sunday).
    ["0 0 1 * 0", 7 * 86400],
    // The 1st of each month: July 1st to August 1st, and December to January, are 31 days.
    ["0 3 1 * *", 31 * 86400],
    // February 29th: leap years.
    ["0 0 29 2 *", 1461 * 86400],
    ["* * * * * *", 1],
    ["TZ=UTC 0 3 * * *", 86400],
    // A daylight-saving change makes one interval an hour longer.
    ["TZ=Europe/Berlin 0 3 * * *", 86400 + 3600],
    ["CRON_TZ=America/New_York @daily", 86400 + 3600],
    // Schedules the sidecar would not run have none.
    ["0 0 31 2 *", undefined],
    ["@every 500ms", undefined],
    ["@every 90.5s", undefined],
    ["not a schedule", undefined],
  ];
  for (const [schedule, expected] of cases) {
    it(`${JSON.stringify(schedule)}: ${expected ?? "none"}`, () => {
      assert.equal(scheduleMaxIntervalSeconds(schedule), expected);
    });
  }
});
