// The day's sales by hour as bars: where each bar goes, from Rust's figures (the amounts come as
// plain decimal text only to scale the bars; the page writes no amount of its own). Pure, for
// `node --test`.

/** Bars for the hours from the first with sales to the last (at least 8 hours wide, within the
 * day), in a `width` × `height` box with `axis` pixels below for the hours' labels. Each hour:
 * `{ hour, sales, money, x, y, w, h }`. Nothing when the day had no paid sale. */
export function hourBars(byHour, width, height, axis = 16) {
  const sold = byHour.filter(([, sales]) => sales > 0);
  if (!sold.length) return [];
  let first = sold[0][0];
  let last = sold[sold.length - 1][0];
  while (last - first < 7) {
    if (last < 23) last += 1;
    else first -= 1;
  }
  const hours = byHour.filter(([hour]) => hour >= first && hour <= last);
  const top = Math.max(...hours.map(([, , , plain]) => Number(plain)));
  const slot = width / hours.length;
  const room = height - axis;
  return hours.map(([hour, sales, money, plain]) => {
    const h = top > 0 ? Math.round((Number(plain) / top) * room) : 0;
    return { hour, sales, money, x: Math.round(hour === first ? 0 : (hour - first) * slot), y: room - h, w: Math.max(1, Math.floor(slot) - 2), h };
  });
}
