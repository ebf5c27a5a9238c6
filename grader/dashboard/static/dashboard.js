// Progress bars of re-runs and of check runs posted again follow their work until it is done, and a form that re-grades a
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

// The release page's bar follows the check runs being posted again, as a batch's does.
function followPosting(box) {
  const bar = box.querySelector("progress");
  const text = box.querySelector("#posting-text");
  const poll = async () => {
    let data;
    try {
      const answer = await fetch(box.dataset.posting, { credentials: "same-origin" });
      if (!answer.ok) return;
      data = await answer.json();
    } catch (error) {
      return;
    }
    bar.max = Math.max(data.total, 1);
    bar.value = data.posted;
    bar.textContent = `${data.posted}`;
    text.textContent = `${data.posted} of ${data.total} posted${data.finished ? ": done" : ""}`;
    if (!data.finished) window.setTimeout(poll, 2000);
  };
  poll();
}

// A form sent after the session expired comes back after sign-in with its values in the
// query string (grader/dashboard/kept_form.py): put them back, for the TA to send again.
function restoreKeptForm() {
  const params = new URLSearchParams(window.location.search);
  const action = params.get("kept");
  if (!action) return;
  const form = Array.from(document.forms).find(
    (f) => new URL(f.action, window.location.href).pathname === action,
  );
  if (!form) return;
  for (const [key, value] of params) {
    if (!key.startsWith("kept.")) continue;
    const field = form.elements.namedItem(key.slice(5));
    if (field && field.type !== "hidden" && "value" in field) field.value = value;
  }
  const first = form.querySelector("input:not([type=hidden]), select, textarea");
  if (first) first.focus();
}

document.addEventListener("DOMContentLoaded", () => {
  restoreKeptForm();
  document.querySelectorAll("[data-batch]").forEach(followBatch);
  document.querySelectorAll("[data-posting]").forEach(followPosting);
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});
