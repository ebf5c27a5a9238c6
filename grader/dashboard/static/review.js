// Keyboard review: j/k move between groups, c focuses the comment, Enter confirms, 1-9 apply
// or remove a rubric item. Keys typed into a field stay in the field.
"use strict";

// A rubric item goes to the answers ticked in the decision form: its own form holds every
// answer of the group (what it sends without this script), replaced by the ticked ones.
function chosenAnswers(form, decide) {
  form.querySelectorAll("input[name=run_id]").forEach((input) => input.remove());
  decide.querySelectorAll("input[name=run_id]:checked").forEach((box) => {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = "run_id";
    input.value = box.value;
    form.appendChild(input);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const answer = document.querySelector("section.answer");
  if (!answer) return;
  const form = document.getElementById("decide");
  document.querySelectorAll("form.rubric-toggle").forEach((toggle) => {
    if (form) toggle.addEventListener("submit", () => chosenAnswers(toggle, form));
  });
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target instanceof HTMLElement && target.closest("input, textarea, select")) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const item = /^[1-9]$/.test(event.key)
      ? document.querySelector(`form.rubric-toggle[data-key="${event.key}"]`)
      : null;
    if (event.key === "j" && answer.dataset.next) window.location.assign(answer.dataset.next);
    else if (event.key === "k" && answer.dataset.previous) window.location.assign(answer.dataset.previous);
    else if (event.key === "c") {
      event.preventDefault();
      document.getElementById("comment").focus();
    } else if (item) {
      event.preventDefault();
      item.requestSubmit();
    } else if (event.key === "Enter" && form) form.requestSubmit();
  });
});
