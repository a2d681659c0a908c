/* BankOps charts: draws the chart containers of a page with Apache ECharts (static/vendor, no CDN),
 * from JSON that the page wrote with Django's json_script. No other JavaScript lives in the templates.
 *
 * A container says what to draw and from where:
 *   <span class="chart sparkline" data-chart="sparkline" data-source="scorecard-trends" data-metric="CODE">
 *   <div class="chart chart-trend" data-chart="trend" data-source="metric-history" data-metric="CODE">
 * The source (one blob for all the metrics of a page) is
 *   {"dates": ["11月24日", …], "names": {"actual": "…", "pace": "…"},
 *    "metrics": {"CODE": {"actual": [n|null, …], "pace": [n|null, …], "unit": "万元", "places": 2,
 *                         "axis": {"min": n, "max": n, "interval": n, "places": 2} | null}}}
 * where null is a day without published figures: a gap in the line, never a zero. The figures come scaled
 * (万元, or 亿元 for the whole series) and rounded by the server (an actual as the table writes it: a
 * count's share keeps its decimals); static/js/numbers.js (loaded first) writes them and the axis, whose
 * ticks the server chose so that no two read alike.
 * Beside them (kpi/views/charts.py), by the index of a day in "dates":
 *   "boundaries": [{"index": 7, "label": "12月"}]   a period starts: a dashed vertical line, so the drop of
 *                                                 a month-to-date line on the 1st reads as a new month;
 *   "notes": [{"from": 2, "to": 8, "kind": "holiday", "label": "节假日", "text": "国庆节", "unit": "HQ",
 *              "metric": null}]                    a note (标注): the days shaded (a line for one day); a
 *                                                 note with a metric only on that metric's chart.
 * The big chart labels them; the sparklines only draw them. Every label is canvas text, never HTML.
 *
 * Once ECharts has rendered a chart, its container gets data-chart-drawn="1" (the browser tests wait for
 * it). A hidden container (display: none, as the scorecard's table is on a phone) is drawn when a resize
 * shows it. The charts are aria-hidden: the tables of the page carry every figure.
 *
 * Buttons with data-print print the page.
 */
(function () {
  "use strict";

  var COLORS = { actual: "#b3261e", pace: "#616e7c" };
  var charts = [];
  var sources = {};

  function source(id) {
    if (!(id in sources)) {
      var script = document.getElementById(id);
      sources[id] = script ? JSON.parse(script.textContent) : null;
    }
    return sources[id];
  }

  // ECharts' empty value is "-"; a value between two gaps gets a dot, or a line without symbols would
  // not show it at all (older days keep only period-end scorecards: isolated points are common).
  function points(values) {
    return values.map(function (value, index) {
      if (value === null || value === undefined) {
        return "-";
      }
      var before = index > 0 ? values[index - 1] : null;
      var after = index < values.length - 1 ? values[index + 1] : null;
      if ((before === null || before === undefined) && (after === null || after === undefined)) {
        return { value: value, symbol: "circle", symbolSize: 4 };
      }
      return value;
    });
  }

  function line(name, values, style) {
    return {
      type: "line",
      name: name,
      data: points(values),
      connectNulls: false,
      symbol: style.symbol || "none",
      symbolSize: 4,
      showAllSymbol: true,
      color: style.color,
      lineStyle: { color: style.color, width: style.width, type: style.type },
      itemStyle: { color: style.color },
      emphasis: { disabled: true },
      z: style.z,
    };
  }

  var MARKS = { boundary: "#7b8794", note: "rgba(227, 179, 65, 0.22)", noteLine: "#b7791f" };
  var NOTE_LABEL_LENGTH = 8;

  function notesFor(data, code) {
    return (data.notes || []).filter(function (note) {
      return note.metric === null || note.metric === undefined || note.metric === code;
    });
  }

  // A chart is narrow on a phone: a mark says the kind of note (节假日, 系统故障, …) and the list under the
  // chart says what happened.
  function shortened(text) {
    text = String(text);
    return text.length > NOTE_LABEL_LENGTH ? text.slice(0, NOTE_LABEL_LENGTH - 1) + "…" : text;
  }

  // A label that is exactly this text: a formatter function, so that braces in a note are not read as
  // ECharts' {a}/{b} templates.
  function label(text, position, color) {
    return {
      show: true,
      position: position,
      color: color,
      fontSize: 11,
      formatter: function () {
        return text;
      },
    };
  }

  // Period starts and notes as ECharts markers on a series: markLine for the boundaries and single-day
  // notes, markArea for notes over several days. Silent: no hover, no tooltip (the page lists the notes).
  function withMarks(series, data, code, labelled) {
    var lines = (data.boundaries || []).map(function (boundary) {
      return {
        xAxis: boundary.index,
        lineStyle: { color: MARKS.boundary, type: "dashed", width: 1 },
        label: labelled ? label(boundary.label, "insideEndTop", MARKS.boundary) : { show: false },
      };
    });
    var areas = [];
    notesFor(data, code).forEach(function (note) {
      var text = shortened(note.label);
      if (note.from === note.to) {
        lines.push({
          xAxis: note.from,
          lineStyle: { color: MARKS.noteLine, type: "solid", width: labelled ? 2 : 1 },
          label: labelled ? label(text, "insideStartTop", MARKS.noteLine) : { show: false },
        });
      } else {
        areas.push([
          {
            xAxis: note.from,
            itemStyle: { color: MARKS.note },
            label: labelled ? label(text, "insideTop", MARKS.noteLine) : { show: false },
          },
          { xAxis: note.to },
        ]);
      }
    });
    if (lines.length) {
      series.markLine = { silent: true, symbol: ["none", "none"], animation: false, data: lines };
    }
    if (areas.length) {
      series.markArea = { silent: true, animation: false, data: areas };
    }
    return series;
  }

  function sparklineOption(data, metric, code) {
    return {
      animation: false,
      grid: { left: 2, right: 2, top: 3, bottom: 3 },
      xAxis: { type: "category", data: data.dates, show: false, boundaryGap: false },
      yAxis: { type: "value", show: false, scale: true },
      tooltip: { show: false },
      series: [
        line(data.names.pace, metric.pace, { color: COLORS.pace, width: 1, type: "dashed", z: 1 }),
        withMarks(
          line(data.names.actual, metric.actual, { color: COLORS.actual, width: 1.5, type: "solid", z: 2 }),
          data,
          code,
          false
        ),
      ],
    };
  }

  // The actual's own figures in the tooltip: a count's share as the table writes it (0.9, not 1).
  function actualTooltip(series, places) {
    series.tooltip = { valueFormatter: window.BankOpsNumbers.actualFormatter(places) };
    return series;
  }

  function trendOption(data, metric, code) {
    var format = window.BankOpsNumbers.formatter(metric.places);
    var yAxis = window.BankOpsNumbers.valueAxis(metric.axis, metric.places);
    yAxis.name = metric.unit;
    return {
      animation: false,
      grid: { left: 16, right: 24, top: 48, bottom: 16, containLabel: true },
      legend: { top: 0, data: [data.names.actual, data.names.pace] },
      tooltip: { trigger: "axis", valueFormatter: format },
      xAxis: { type: "category", data: data.dates, boundaryGap: false },
      yAxis: yAxis,
      series: [
        withMarks(
          actualTooltip(
            line(data.names.actual, metric.actual, {
              color: COLORS.actual,
              width: 2,
              type: "solid",
              symbol: "circle",
              z: 2,
            }),
            metric.places
          ),
          data,
          code,
          true
        ),
        line(data.names.pace, metric.pace, { color: COLORS.pace, width: 1.5, type: "dashed", z: 1 }),
      ],
    };
  }

  var OPTIONS = { sparkline: sparklineOption, trend: trendOption };

  function draw(container) {
    var build = OPTIONS[container.getAttribute("data-chart")];
    var data = source(container.getAttribute("data-source"));
    var code = container.getAttribute("data-metric");
    var metric = data && data.metrics ? data.metrics[code] : null;
    if (!build || !metric) {
      return true;
    }
    // A container the page hides (the scorecard's table on a phone) has no size to draw in: it waits
    // until a resize shows it.
    if (!container.getClientRects().length) {
      return false;
    }
    var chart = window.echarts.init(container, null, { renderer: "canvas" });
    function drawn() {
      container.setAttribute("data-chart-drawn", "1");
    }
    // "finished" once nothing is left to animate; "rendered" after any frame, in case it comes first.
    chart.on("finished", drawn);
    chart.on("rendered", drawn);
    chart.setOption(build(data, metric, code));
    charts.push(chart);
    return true;
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
      button.addEventListener("click", function () {
        window.print();
      });
    });
    if (!window.echarts) {
      return; // the tables still carry every figure
    }
    var waiting = Array.prototype.filter.call(document.querySelectorAll("[data-chart]"), function (container) {
      return !draw(container);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) {
        chart.resize();
      });
      waiting = waiting.filter(function (container) {
        return !draw(container);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
