// Keyboard review: j/k move between groups, c focuses the comment, Enter confirms, 1-9 apply
// or remove a rubric item. Keys typed into a text field stay in the field.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const answer = document.querySelector("section.answer");
  if (!answer) return;
  const form = document.getElementById("decide");
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    // A ticked or unticked answer keeps the focus on its box: the keys still work there.
    const typing = "textarea, select, input:not([type=checkbox])";
    if (target instanceof HTMLElement && target.closest(typing)) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    // Enter on a focused button or link is that button's or link's own.
    if (event.key === "Enter" && target instanceof HTMLElement && target.closest("button, a")) return;
    const item = /^[1-9]$/.test(event.key)
      ? document.querySelector(`button.rubric-toggle[data-key="${event.key}"]`)
      : null;
    if (event.key === "j" && answer.dataset.next) window.location.assign(answer.dataset.next);
    else if (event.key === "k" && answer.dataset.previous) window.location.assign(answer.dataset.previous);
    else if (event.key === "c") {
      event.preventDefault();
      document.getElementById("comment").focus();
    } else if (item && form) {
      event.preventDefault();
      form.requestSubmit(item); // the item's own action, with the answers ticked in the form
    } else if (event.key === "Enter" && form) form.requestSubmit();
  });
});
