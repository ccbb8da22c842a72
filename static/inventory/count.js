// The count screen with a keyboard or a scanner (which types the code and presses Enter).
// Without this file the form still works: Enter after the code posts it and the server asks
// for the quantity with the code kept.
(() => {
  const focusFirst = (root) => {
    const target = root.querySelector("[data-autofocus]");
    if (target) {
      target.focus();
      if (target.select) target.select();
    }
  };
  document.addEventListener("keydown", (event) => {
    const code = event.target.closest && event.target.closest("[data-count-code]");
    if (!code || event.key !== "Enter") return;
    const form = code.form;
    const quantity = form.querySelector("[data-count-quantity]");
    if (code.value.trim() && quantity && quantity.value === "") {
      event.preventDefault();
      quantity.focus();
    }
  });
  // Picking a line from the list fills its code and goes to the quantity.
  document.addEventListener("click", (event) => {
    const pick = event.target.closest && event.target.closest("[data-count-pick]");
    if (!pick) return;
    const form = document.querySelector("[data-testid=count-form]");
    if (!form) return;
    event.preventDefault();
    form.querySelector("[data-count-code]").value = pick.dataset.countPick;
    form.querySelector("[data-count-quantity]").focus();
  });
  document.addEventListener("htmx:afterSettle", () => {
    const screen = document.getElementById("count-screen");
    if (screen) focusFirst(screen);
  });
})();
