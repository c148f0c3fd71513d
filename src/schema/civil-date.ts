/** A civil (proleptic Gregorian) date. */
export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

/** Days since 1970-01-01 → civil date (Howard Hinnant's civil_from_days), written into `dt`: no Date, no allocation. */
export function civilFromDays(days: number, dt: CivilDate): void {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  dt.day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  dt.month = mp < 10 ? mp + 3 : mp - 9;
  dt.year = yoe + era * 400 + (dt.month <= 2 ? 1 : 0);
}
