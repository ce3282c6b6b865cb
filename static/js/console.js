/* iamconsole's own script. The Content-Security-Policy allows no inline script or
   event-handler attribute, so behaviour that templates ask for by a data- attribute lives here. */

/* <form data-confirm="Question?"> asks before it submits. */
document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

/* <button data-copy-target="#id" hidden> copies that element's text with the Clipboard API; it
   stays hidden where the API is missing (a page not served over HTTPS), and the text can still be selected. */
document.querySelectorAll("[data-copy-target]").forEach((button) => {
  if (!navigator.clipboard) {
    return;
  }
  button.hidden = false;
  const label = button.textContent;
  button.addEventListener("click", async () => {
    const source = document.querySelector(button.dataset.copyTarget);
    try {
      await navigator.clipboard.writeText(source.textContent.trim());
      button.textContent = "Copied";
    } catch {
      button.textContent = "Copy refused: select the text";
    }
    window.setTimeout(() => { button.textContent = label; }, 2000);
  });
});

/* <button data-expand-all="#id" hidden> opens (then closes) every <details> inside that element. */
document.querySelectorAll("[data-expand-all]").forEach((button) => {
  const container = document.querySelector(button.dataset.expandAll);
  if (!container) {
    return;
  }
  button.hidden = false;
  const label = button.textContent;
  button.addEventListener("click", () => {
    const opening = button.getAttribute("aria-expanded") !== "true";
    container.querySelectorAll("details").forEach((details) => { details.open = opening; });
    button.setAttribute("aria-expanded", String(opening));
    button.textContent = opening ? "Collapse all" : label;
  });
});

/* After the live check of a policy editor (#findings swapped in), its textarea is marked invalid
   only while the checked document has errors: a refused save's mark does not outlive them. */
document.body.addEventListener("htmx:afterSettle", () => {
  const findings = document.getElementById("findings");
  if (!findings || findings.dataset.errorCount === undefined) {
    return;
  }
  document.querySelectorAll('[hx-target="#findings"]').forEach((editor) => {
    editor.classList.toggle("is-invalid", findings.dataset.errorCount !== "0");
  });
});
