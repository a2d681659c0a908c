/* BankOps numbers: how the charts write a figure (static/js/charts.js, heatmap.js, tiers.js), the same way
 * as the pages (kpi/templatetags/kpi_format.py, over lib/numbers.py). The server chooses the unit and the
 * decimals and sends them with the figures (already scaled and rounded) in the page's json_script; this
 * file only writes them:
 *   a fixed number of decimals; "," for thousands and "." for decimals in every language; "-" for a
 *   negative figure, never "-0.00"; "+" before a positive change when asked; "%" glued to its figure;
 *   "—" for nothing.
 *
 *   BankOpsNumbers.format(12934, 2)          → "12,934.00"
 *   BankOpsNumbers.percent(-51.23, 1, true)  → "-51.2%"   (the figure is in percent already)
 *   BankOpsNumbers.valueAxis(metric.axis, 2) → ECharts yAxis settings whose ticks never read alike
 *
 * Loaded before the chart scripts (defer keeps the order). No HTML is built here.
 */
(function (root) {
  "use strict";

  var MISSING = "—";

  function group(digits) {
    return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function format(value, places, signed) {
    if (value === null || value === undefined || value === "" || value === "-") {
      return MISSING;
    }
    var number = Number(value);
    if (!isFinite(number)) {
      return MISSING;
    }
    places = places || 0;
    var text = Math.abs(number).toFixed(places);
    var zero = Number(text) === 0;
    var parts = text.split(".");
    var written = group(parts[0]) + (parts.length > 1 ? "." + parts[1] : "");
    if (zero) {
      return written;
    }
    if (number < 0) {
      return "-" + written;
    }
    return signed ? "+" + written : written;
  }

  function percent(value, places, signed) {
    var text = format(value, places === undefined ? 1 : places, signed);
    return text === MISSING ? text : text + "%";
  }

  function formatter(places) {
    return function (value) {
      return format(value, places);
    };
  }

  // An actual, as kpi_format's kpi_actual writes it: a count (no decimals) credited in shares keeps one
  // decimal or two (0.9, 0.33), a whole count none; other units their own places.
  function actualFormatter(places) {
    return function (value) {
      var number = Number(value);
      if (places || !isFinite(number) || value === null || value === "" || Number.isInteger(number)) {
        return format(value, places);
      }
      return format(value, Math.round(number * 10) / 10 === number ? 1 : 2);
    };
  }

  // The value axis of a chart: the server's ticks (lib.numbers.nice_axis: every tick a multiple of a
  // step no finer than the series' decimals) when it sent them; else ECharts' own, no finer than one
  // unit of the last decimal, so two ticks never read alike.
  function valueAxis(axis, places) {
    var settings = { type: "value", axisLabel: { formatter: formatter(places) } };
    if (axis) {
      settings.min = axis.min;
      settings.max = axis.max;
      settings.interval = axis.interval;
    } else {
      settings.scale = true;
      settings.minInterval = Math.pow(10, -(places || 0));
    }
    return settings;
  }

  var api = {
    format: format,
    percent: percent,
    formatter: formatter,
    actualFormatter: actualFormatter,
    valueAxis: valueAxis,
    MISSING: MISSING,
  };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = api; // for a check outside the browser
  } else {
    root.BankOpsNumbers = api;
  }
})(this);
