// The Reconciliation page: the chart of Shopify against QuickBooks per day (Chart.js, served
// with the app), and the first read of a range nobody has read yet.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("reconcile-chart-data");
  const canvas = document.getElementById("reconcile-chart");
  if (data && canvas && window.Chart) {
    const chart = JSON.parse(data.textContent);
    // Reference: https://www.chartjs.org/docs/latest/charts/bar.html
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: [
          { label: "Shopify", data: chart.shopify.map(Number), backgroundColor: "#5c6ac4" },
          { label: "QuickBooks", data: chart.quickbooks.map(Number), backgroundColor: "#2ca01c" },
        ],
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { title: { display: true, text: chart.currency } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }
  // A range never read: read it at once rather than wait for a click.
  const read = document.querySelector("[data-reconcile-autoread]");
  if (read) read.click();
});
