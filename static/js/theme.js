/* The colour theme, set before the page is first painted: this file is loaded in <head>, not
   deferred (the Content-Security-Policy allows no inline script). The system's preference
   (prefers-color-scheme) decides unless the navigation's toggle stored another choice; toggling
   back to what the system prefers forgets the choice, so the page follows the system again. */
(() => {
  const KEY = "iamconsole-theme";
  const system = window.matchMedia("(prefers-color-scheme: dark)");
  const preferred = () => (system.matches ? "dark" : "light");

  const stored = () => {
    try {
      const theme = window.localStorage.getItem(KEY);
      return theme === "dark" || theme === "light" ? theme : null;
    } catch {
      return null; // storage refused (a privacy setting): the system decides
    }
  };

  const store = (theme) => {
    try {
      if (theme === preferred()) {
        window.localStorage.removeItem(KEY);
      } else {
        window.localStorage.setItem(KEY, theme);
      }
    } catch {
      /* not remembered, but still applied to this page */
    }
  };

  const apply = (theme) => {
    document.documentElement.dataset.bsTheme = theme;
    document.querySelectorAll("[data-theme-toggle]").forEach((button) => {
      button.hidden = false;
      button.setAttribute("aria-pressed", String(theme === "dark"));
    });
  };

  const current = () => stored() || preferred();
  apply(current());
  system.addEventListener("change", () => apply(current()));
  document.addEventListener("DOMContentLoaded", () => apply(current()));
  /* <button data-theme-toggle hidden>: shown once this script runs; switches and remembers. */
  document.addEventListener("click", (event) => {
    if (!event.target.closest("[data-theme-toggle]")) {
      return;
    }
    const theme = current() === "dark" ? "light" : "dark";
    store(theme);
    apply(theme);
  });
})();
