// The benchmark table (text) and chart (SVG) of bench/run.mjs.

function fmt(r) {
  if (!r) return "—";
  const v = r.value;
  const num = v >= 1e9 ? `${(v / 1e9).toFixed(2)} G` : v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : v >= 1e4 ? `${(v / 1e3).toFixed(1)} k` : v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
  const spread = r.n > 1 ? ` (${fmtNum(r.min)}–${fmtNum(r.max)})` : "";
  return `${num} ${r.unit}${spread}`;
}

function fmtNum(v) {
  return v >= 1e9 ? `${(v / 1e9).toFixed(1)}G` : v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e4 ? `${(v / 1e3).toFixed(0)}k` : v >= 1 ? v.toFixed(1) : v.toFixed(2);
}

const x = (r) => (r === null ? "—" : `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×`);

/** The goal column: a ratio to CPython, at most N× CPython's time, or at most a value. */
function goalText(r) {
  const mark = (ok) => (ok === null ? "" : ok ? " ✓" : " ✗");
  if (r.goalAtMost) return `≤ ${r.goalAtMost} ${r.ours?.unit ?? ""}${mark(r.ours ? r.ours.value <= r.goalAtMost : null)}`;
  if (r.goalSlower) {
    // Where the raw Node floor (no library) is itself slower than the goal allows, say so.
    const floor = r.limit && r.cpython ? r.limit.value / r.cpython.value : null;
    const below = floor !== null && floor > r.goalSlower ? `; raw Node alone ${floor.toFixed(1)}×` : "";
    return `≤ ${r.goalSlower}× its time${mark(r.ratio !== null ? 1 / r.ratio <= r.goalSlower : null)}${below}`;
  }
  return r.goal ? `${r.goal}×${mark(r.ratio !== null ? r.ratio >= r.goal : null)}` : "";
}

/** A Markdown table of the results. */
export function formatTable(table, meta) {
  const lines = [
    `Node ${meta.node}, ${meta.cpu}, ${meta.date.slice(0, 10)}; reps ${meta.reps}, scale ${meta.scale}${meta.load ? `; load average ${meta.load.before.toFixed(2)} → ${meta.load.after.toFixed(2)}` : ""}. Values are medians (min–max).` +
      (meta.startup ? ` Whole-program rows: ${meta.startup.date.slice(0, 16).replace("T", " ")} UTC, load average ${meta.startup.load.before.toFixed(2)} → ${meta.startup.load.after.toFixed(2)}.` : ""),
    "",
    "| operation | multiprocessing-ts | CPython | vs CPython | goal | raw Node limit | share of limit |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const r of table) {
    const goal = goalText(r);
    const share = r.ofLimit === null ? "—" : `${(r.ofLimit * 100).toFixed(0)}%`;
    lines.push(`| ${r.label} | ${fmt(r.ours)} | ${fmt(r.cpython)} | ${x(r.ratio)} | ${goal} | ${fmt(r.limit)} | ${share} |`);
  }
  return lines.join("\n");
}

/** A horizontal bar chart of the ratios to CPython, on a log scale. */
export function chartSvg(table, meta) {
  const rows = table.filter((r) => r.ratio !== null);
  const rowH = 22;
  const left = 330;
  const width = 860;
  const plotW = width - left - 70;
  const top = 46;
  const height = top + rows.length * rowH + 40;
  const lo = Math.log10(0.1);
  const hi = Math.log10(1000);
  const px = (v) => left + ((Math.log10(Math.min(Math.max(v, 0.1), 1000)) - lo) / (hi - lo)) * plotW;
  const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/`/g, "");
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">multiprocessing-ts vs CPython ${esc(meta.python ? "multiprocessing" : "")} (× faster, log scale)</text>`,
    `<text x="10" y="36" fill="#555">Node ${esc(meta.node)}, ${esc(meta.cpu)}, ${esc(meta.date.slice(0, 10))}; dark tick = goal</text>`,
  ];
  for (const t of [0.1, 1, 10, 100, 1000]) {
    out.push(`<line x1="${px(t)}" y1="${top - 4}" x2="${px(t)}" y2="${top + rows.length * rowH}" stroke="${t === 1 ? "#000" : "#ddd"}"/>`);
    out.push(`<text x="${px(t)}" y="${top + rows.length * rowH + 16}" text-anchor="middle">${t}×</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const goal = r.goal ?? (r.goalSlower ? 1 / r.goalSlower : undefined);
    const color = r.ratio >= (goal ?? 1) ? "#2e7d32" : r.ratio >= 1 ? "#f9a825" : "#c62828";
    const x0 = px(1);
    const x1 = px(r.ratio);
    out.push(`<text x="${left - 8}" y="${y + 15}" text-anchor="end">${esc(r.label)}</text>`);
    out.push(`<rect x="${Math.min(x0, x1)}" y="${y + 4}" width="${Math.max(1, Math.abs(x1 - x0))}" height="${rowH - 8}" fill="${color}"/>`);
    if (goal) out.push(`<line x1="${px(goal)}" y1="${y + 2}" x2="${px(goal)}" y2="${y + rowH - 2}" stroke="#000" stroke-width="2"/>`);
    out.push(`<text x="${Math.max(x0, x1) + 4}" y="${y + 15}">${r.ratio >= 10 ? r.ratio.toFixed(0) : r.ratio.toFixed(2)}×</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
