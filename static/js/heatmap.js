/*
 * The overview's heatmap (templates/bankops/overview.html): child units × key metrics, coloured by status.
 *
 * Reads the cells from the json_script "overview-data" (bankops/views.py _chart_data) and draws them with
 * the vendored Apache ECharts. The HTML table under the chart holds the same cells as words and stays the
 * accessible source; the chart is an addition, shown from tablet width up (not on phones, not in print).
 * Each cell carries a sign as well as a colour (✓ ! ✕ ○), so colour is never the only cue. Its percentage
 * is written by static/js/numbers.js (loaded first), as the table writes it: "6,200.5%".
 * Sets data-chart-drawn="1" on the container once ECharts has finished drawing.
 */
(function () {
  "use strict";

  // In the order of kpi.selectors.OVERVIEW_STATES: green, amber, red, none (no target), missing (no figures),
  // early (too early in the period to judge: muted).
  var STYLE = {
    green: { color: "#1a7f37", text: "#ffffff", sign: "✓" },
    amber: { color: "#e3b341", text: "#1f2933", sign: "!" },
    red: { color: "#cf222e", text: "#ffffff", sign: "✕" },
    none: { color: "#d0d7de", text: "#1f2933", sign: "○" },
    missing: { color: "#f5f7fa", text: "#616e7c", sign: "—" },
    early: { color: "#eef0f3", text: "#616e7c", sign: "◔" }, // too early in the period to judge pace
  };
  var WIDE_ENOUGH = "(min-width: 600px)";

  // ECharts puts what a tooltip formatter returns into the page as HTML: every name in it comes from the
  // database (a unit renamed to <img onerror=…> ran its script in the reader's browser), so each is escaped.
  function encodeHTML(text) {
    return echarts.format.encodeHTML(String(text));
  }

  function option(data) {
    var states = data.states;
    return {
      animation: false,
      aria: { enabled: false }, // the table below is what assistive technology reads
      tooltip: {
        position: "top",
        formatter: function (params) {
          var value = params.value;
          var state = states[value[2]];
          var text =
            encodeHTML(data.units[value[1]].name) +
            "<br>" +
            encodeHTML(data.metrics[value[0]] + ": " + STYLE[state.key].sign + " " + state.label);
          return value[3] === null ? text : text + encodeHTML(" (" + BankOpsNumbers.percent(value[3], 1) + ")");
        },
      },
      grid: { left: 8, right: 16, top: 56, bottom: 8, containLabel: true },
      xAxis: {
        type: "category",
        position: "top",
        data: data.metrics,
        axisLabel: { interval: 0, rotate: data.metrics.length > 6 ? 30 : 0, fontSize: 12 },
        splitArea: { show: true },
      },
      yAxis: {
        type: "category",
        inverse: true, // first unit on top, as in the table
        data: data.units.map(function (unit) {
          return unit.name;
        }),
        axisLabel: { fontSize: 12 },
        splitArea: { show: true },
      },
      visualMap: {
        type: "piecewise",
        dimension: 2,
        orient: "horizontal",
        top: 0,
        left: "center",
        pieces: states.map(function (state, index) {
          return { value: index, label: STYLE[state.key].sign + " " + state.label, color: STYLE[state.key].color };
        }),
      },
      series: [
        {
          type: "heatmap",
          data: data.cells,
          itemStyle: { borderColor: "#ffffff", borderWidth: 2 },
          label: {
            show: true,
            formatter: function (params) {
              var value = params.value;
              var sign = STYLE[states[value[2]].key].sign;
              return value[3] === null ? sign : sign + " " + BankOpsNumbers.percent(value[3], 1);
            },
            fontSize: 11,
          },
          emphasis: { itemStyle: { borderColor: "#2f80ed", borderWidth: 3 } },
        },
      ],
    };
  }

  function labelColours(data) {
    // ECharts colours a label like its cell unless told; dark text on light cells, white on dark ones.
    return data.cells.map(function (cell) {
      var style = STYLE[data.states[cell[2]].key];
      return { value: cell, label: { color: style.text } };
    });
  }

  function draw(container, data) {
    container.hidden = false;
    container.style.height = Math.max(160, 96 + 40 * data.units.length) + "px";
    var chart = echarts.init(container);
    var chartOption = option(data);
    chartOption.series[0].data = labelColours(data);
    function drawn() {
      container.setAttribute("data-chart-drawn", "1");
    }
    // "finished" once nothing is left to animate; "rendered" after any frame, in case it comes first.
    chart.on("finished", drawn);
    chart.on("rendered", drawn);
    chart.on("click", function (params) {
      var unit = data.units[params.value[1]];
      if (unit && unit.url) window.location.assign(unit.url);
    });
    chart.setOption(chartOption);
    window.addEventListener("resize", function () {
      chart.resize();
    });
    return chart;
  }

  function start() {
    var container = document.getElementById("overview-heatmap");
    var source = document.getElementById("overview-data");
    if (!container || !source || typeof echarts === "undefined") return; // the table alone still says it all
    var data = JSON.parse(source.textContent);
    if (!data.units.length || !data.metrics.length) return;
    var wide = window.matchMedia(WIDE_ENOUGH);
    var chart = null;
    function update() {
      if (wide.matches && chart === null) chart = draw(container, data);
      else if (chart !== null) chart.resize();
    }
    update();
    if (wide.addEventListener) wide.addEventListener("change", update);
  }

  if (typeof module !== "undefined" && module.exports) {
    module.exports = { option: option, labelColours: labelColours }; // for a check outside the browser
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
