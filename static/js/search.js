// Small enhancements of the search form; without JavaScript it works the same, with a Go button
// to sort and the server dropping empty fields from the address.
document.documentElement.classList.add("js");

for (const select of document.querySelectorAll("select[data-submit-on-change]")) {
  select.addEventListener("change", () => select.form.requestSubmit());
}

// A submitted form would send every field: the empty ones stay out of the address.
for (const form of document.querySelectorAll("form[data-drop-empty]")) {
  form.addEventListener("submit", () => {
    for (const field of form.elements) {
      if (field.name && (field.tagName === "INPUT" || field.tagName === "SELECT") && field.value.trim() === "") {
        field.disabled = true;
      }
    }
  });
}
// Back to a page whose form was submitted: its fields work again.
window.addEventListener("pageshow", () => {
  for (const field of document.querySelectorAll("form[data-drop-empty] [disabled]")) {
    field.disabled = false;
  }
});
