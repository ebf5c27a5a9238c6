// Progress bars of re-runs follow their batch until it is done, and a form that re-grades a
// whole class asks first. The pages work without this file (reload to see progress).
"use strict";

function followBatch(box) {
  const bar = box.querySelector("progress");
  const text = box.querySelector(".batch-text");
  const poll = async () => {
    let data;
    try {
      const answer = await fetch(box.dataset.batch, { credentials: "same-origin" });
      if (!answer.ok) return;
      data = await answer.json();
    } catch (error) {
      return;
    }
    bar.max = Math.max(data.total, 1);
    bar.value = data.done;
    bar.textContent = `${data.percent}%`;
    let words = `${data.done} of ${data.total} graded`;
    if (data.failed) words += `, ${data.failed} failed`;
    if (data.queued < data.total) words += `, ${data.total - data.queued} not queued`;
    if (data.finished) words += ": done";
    text.textContent = words;
    if (!data.finished) window.setTimeout(poll, 2000);
  };
  poll();
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-batch]").forEach(followBatch);
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});
