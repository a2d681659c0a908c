/*
 * Customers by tier (templates/customers/tiers.html): the tier pyramid as a horizontal bar chart (last month
 * and this month, highest tier on top) and the migration matrix as a heatmap.
 *
 * Reads the figures from the json_script "tiers-data" (customers/views.py _chart_data) and draws them with
 * the vendored Apache ECharts. The tables under the charts hold the same figures and stay the accessible
 * source; the charts are an addition, shown from tablet width up (not on phones, not in print). The bars
 * carry their numbers and the change in words as labels, so colour is never the only cue.
 * Sets data-chart-drawn="1" on each chart's container once ECharts has drawn it.
 */
(function () {
  "use strict";

  var WIDE_ENOUGH = "(min-width: 600px)";
  var BEFORE = "#9fb3c8";

  // Counts of customers, written as the tables write them (static/js/numbers.js, loaded first): 4,889.
  function count(value) {
    return BankOpsNumbers.format(value, 0);
  }
  var NOW = "#b3261e";

  // ECharts puts what a tooltip formatter returns into the page as HTML, and tier names are edited in the
  // admin: escaped, as every name from the database must be.
  function encodeHTML(text) {
    return echarts.format.encodeHTML(String(text));
  }

  function pyramidOption(data) {
    return {
      animation: false,
      aria: { enabled: false }, // the table below is what assistive technology reads
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: count },
      legend: { top: 0, data: [data.beforeLabel, data.nowLabel] },
      grid: { left: 8, right: 96, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1, axisLabel: { formatter: count } },
      yAxis: { type: "category", inverse: true, data: data.tiers, axisLabel: { fontSize: 12 } },
      series: [
        {
          name: data.beforeLabel,
          type: "bar",
          data: data.before,
          itemStyle: { color: BEFORE },
          label: {
            show: true,
            position: "right",
            fontSize: 11,
            formatter: function (params) {
              return count(params.value);
            },
          },
        },
        {
          name: data.nowLabel,
          type: "bar",
          data: data.now,
          itemStyle: { color: NOW },
          label: {
            show: true,
            position: "right",
            fontSize: 11,
            formatter: function (params) {
              return count(params.value) + " (" + data.changes[params.dataIndex] + ")";
            },
          },
        },
      ],
    };
  }

  function matrixOption(data) {
    return {
      animation: false,
      aria: { enabled: false },
      tooltip: {
        position: "top",
        formatter: function (params) {
          var value = params.value;
          return encodeHTML(data.from[value[1]] + " → " + data.to[value[0]] + ": " + count(value[2]));
        },
      },
      grid: { left: 8, right: 16, top: 48, bottom: 48, containLabel: true },
      // Which way the matrix reads, as the table's corner cell says: rows last month, columns this month.
      title: { text: data.fromAxis + " ↓ / " + data.toAxis + " →", left: 0, top: 0, textStyle: { fontSize: 12, fontWeight: "normal" } },
      xAxis: {
        type: "category",
        position: "top",
        data: data.to,
        axisLabel: { interval: 0, fontSize: 12 },
        splitArea: { show: true },
      },
      yAxis: {
        type: "category",
        inverse: true, // first row on top, as in the table
        data: data.from,
        axisLabel: { fontSize: 12 },
        splitArea: { show: true },
      },
      visualMap: {
        min: 0,
        max: Math.max(1, data.max),
        calculable: false,
        orient: "horizontal",
        left: "center",
        bottom: 0,
        itemHeight: 120,
        inRange: { color: ["#fde8e8", "#b3261e"] },
      },
      series: [
        {
          type: "heatmap",
          data: data.cells,
          itemStyle: { borderColor: "#ffffff", borderWidth: 2 },
          label: {
            show: true,
            fontSize: 11,
            formatter: function (params) {
              return count(params.value[2]);
            },
          },
          emphasis: { itemStyle: { borderColor: "#2f80ed", borderWidth: 3 } },
        },
      ],
    };
  }

  function labelColours(data) {
    // Dark numbers on the light cells, white on the dark ones.
    return data.cells.map(function (cell) {
      return { value: cell, label: { color: cell[2] > data.max / 2 ? "#ffffff" : "#1f2933" } };
    });
  }

  function draw(container, chartOption, height) {
    container.hidden = false;
    container.style.height = height + "px";
    var chart = echarts.init(container);
    function drawn() {
      container.setAttribute("data-chart-drawn", "1");
    }
    // "finished" once nothing is left to animate; "rendered" after any frame, in case it comes first.
    chart.on("finished", drawn);
    chart.on("rendered", drawn);
    chart.setOption(chartOption);
    window.addEventListener("resize", function () {
      chart.resize();
    });
    return chart;
  }

  function start() {
    var source = document.getElementById("tiers-data");
    if (!source || typeof echarts === "undefined") return; // the tables alone still say it all
    var data = JSON.parse(source.textContent);
    var pyramid = document.getElementById("tier-pyramid");
    var matrix = document.getElementById("tier-matrix");
    var wide = window.matchMedia(WIDE_ENOUGH);
    var charts = [];
    function update() {
      if (wide.matches && charts.length === 0) {
        if (pyramid && data.pyramid.tiers.length) {
          charts.push(draw(pyramid, pyramidOption(data.pyramid), 64 + 44 * data.pyramid.tiers.length));
        }
        if (matrix && data.matrix.cells.length) {
          var option = matrixOption(data.matrix);
          option.series[0].data = labelColours(data.matrix);
          charts.push(draw(matrix, option, 120 + 36 * data.matrix.from.length));
        }
      } else {
        charts.forEach(function (chart) {
          chart.resize();
        });
      }
    }
    update();
    if (wide.addEventListener) wide.addEventListener("change", update);
  }

  if (typeof module !== "undefined" && module.exports) {
    module.exports = { pyramidOption: pyramidOption, matrixOption: matrixOption }; // for a check outside the browser
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
