// Keyboard review: j/k move between groups, c focuses the comment, Enter confirms.
// Keys typed into a field stay in the field.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const answer = document.querySelector("section.answer");
  if (!answer) return;
  const form = document.getElementById("decide");
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target instanceof HTMLElement && target.closest("input, textarea, select")) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "j" && answer.dataset.next) window.location.assign(answer.dataset.next);
    else if (event.key === "k" && answer.dataset.previous) window.location.assign(answer.dataset.previous);
    else if (event.key === "c") {
      event.preventDefault();
      document.getElementById("comment").focus();
    } else if (event.key === "Enter" && form) form.requestSubmit();
  });
});
