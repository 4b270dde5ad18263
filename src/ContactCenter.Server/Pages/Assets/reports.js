// The reports page (/reports): reads the form, asks GET /api/reports/{report}, draws the trend (uPlot) and the
// table, and points the CSV link at the same query. Values are set as text, never as HTML.
"use strict";
(() => {
  const form = document.getElementById("query");
  const $ = id => document.getElementById(id);
  // The series drawn for each report: the columns that tell its trend (the table shows them all).
  const drawn = {
    "volume": ["conversations", "messagesIn", "messagesOut", "callsInbound"],
    "response-times": ["firstResponseMedian", "firstResponseP90", "nextResponseMedian"],
    "handle-times": ["averageCallHandleSeconds", "averageChatHandleSeconds"],
    "resolution": ["firstContactResolution"],
    "satisfaction": ["csat", "responseRate"],
    "bot": ["containment", "escalationRate"],
    "abandonment": ["abandonmentRate"],
  };
  const colours = ["#0b5cad", "#b00020", "#1d7a3a", "#9a6200"];
  let chart = null;

  const today = new Date().toISOString().slice(0, 10);
  $("from").value = new Date(Date.now() - 6 * 864e5).toISOString().slice(0, 10);
  $("to").value = today;
  $("timeZone").value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

  function query() {
    const p = new URLSearchParams();
    for (const name of ["from", "to", "timeZone", "by", "channel", "queue", "agent", "tag"]) {
      const v = $(name).value.trim();
      if (v) p.set(name, v);
    }
    if ($("businessHours").checked) p.set("businessHours", "true");
    return p;
  }

  // "2026-03-02" or "2026-03-02T13:00" as seconds, read as UTC so the axis shows the zone's own clock.
  const x = period => Date.parse(period.length === 10 ? period + "T00:00:00Z" : period + ":00Z") / 1000;

  function drawChart(report, body) {
    const columns = (drawn[report] || body.columns.slice(0, 3)).filter(c => body.columns.includes(c));
    const data = [body.rows.map(r => x(r.period)), ...columns.map(c => body.rows.map(r => r[c]))];
    if (chart) chart.destroy();
    const box = $("chart");
    box.replaceChildren();
    chart = new uPlot({
      width: Math.max(320, box.clientWidth || 900), height: 300,
      scales: { x: { time: true } },
      series: [{ label: body.by === "hour" ? "hour" : "day" },
        ...columns.map((c, i) => ({ label: c, stroke: colours[i % colours.length], width: 2, spanGaps: true, points: { show: true } }))],
    }, data, box);
    window.reportChart = chart; // the browser test reads the points the chart was given
    box.dataset.points = String(data[0].length);
  }

  function drawTable(body) {
    const fmt = v => v == null ? "–" : String(v);
    $("head").replaceChildren(cc.el("tr", null, cc.el("th", null, "period"), ...body.columns.map(c => cc.el("th", null, c))));
    $("rows").replaceChildren(...body.rows.map(r => cc.el("tr", null, cc.el("td", null, r.period), ...body.columns.map(c => cc.el("td", null, fmt(r[c]))))));
    $("total").replaceChildren(cc.el("tr", null, cc.el("td", null, "total"), ...body.columns.map(c => cc.el("td", null, fmt(body.total[c])))));
  }

  async function show() {
    const report = $("report").value, p = query();
    const csv = new URLSearchParams(p);
    csv.set("format", "csv");
    $("csv").href = `/api/reports/${report}?${csv}`;
    $("csv").setAttribute("download", `${report}-${p.get("from")}.csv`);
    $("status").textContent = "loading…";
    try {
      const body = await cc.api(`/api/reports/${report}?${p}`);
      drawChart(report, body);
      drawTable(body);
      $("status").textContent = `${body.rows.length} ${body.by === "hour" ? "hours" : "days"} in ${body.timeZone}`;
    } catch (e) {
      $("status").textContent = e.problem && e.problem.detail ? e.problem.detail : String(e.message || e);
    }
  }

  form.addEventListener("submit", e => { e.preventDefault(); show(); });
  const initial = new URLSearchParams(location.search);
  for (const [k, v] of initial) { const f = $(k); if (f) { if (f.type === "checkbox") f.checked = v === "true"; else f.value = v; } }
  show();
})();
