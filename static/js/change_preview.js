/* Change previews (templates/console/_change_preview.html). A section previewed as the page loads
   (data-preview-holds-save) keeps its form's submit buttons disabled until the preview has answered,
   so that the save carries the generation the preview saw; while a queued preview is still pending
   they stay disabled, and a preview that could not be made (a network or server error) gives them
   back. Without this script nothing is disabled and the form saves as it would without a preview. */
(() => {
  const SECTIONS = "section.change-preview[data-preview-holds-save]";
  const NOTE = "Waiting for the preview of this change";

  function submitButtons(section) {
    const form = section.closest("form");
    if (!form) {
      return [];
    }
    return Array.from(form.querySelectorAll("button, input[type=submit]")).filter(
      (button) => !section.contains(button) && (button.type === "submit" || button.tagName === "INPUT"),
    );
  }

  function hold(section, waiting) {
    section.dataset.previewWaiting = waiting ? "true" : "false";
    submitButtons(section).forEach((button) => {
      button.disabled = waiting;
      if (waiting) {
        button.title = NOTE;
      } else if (button.title === NOTE) {
        button.removeAttribute("title");
      }
    });
  }

  function pending(section) {
    return section.querySelector('input[name="preview_generation"][value="pending"]') !== null;
  }

  function sectionOf(event) {
    const element = event.detail && (event.detail.target || event.detail.elt);
    return element && element.closest ? element.closest(SECTIONS) : null;
  }

  document.querySelectorAll(SECTIONS).forEach((section) => hold(section, true));
  document.addEventListener("htmx:beforeRequest", (event) => {
    const section = sectionOf(event);
    if (section) {
      hold(section, true);
    }
  });
  document.addEventListener("htmx:afterSettle", (event) => {
    const section = sectionOf(event);
    if (section) {
      hold(section, pending(section));
    }
  });
  ["htmx:responseError", "htmx:sendError", "htmx:timeout"].forEach((name) => {
    document.addEventListener(name, (event) => {
      const section = sectionOf(event);
      if (section) {
        hold(section, false);
      }
    });
  });
})();
