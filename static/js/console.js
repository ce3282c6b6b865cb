/* iamconsole's own script. The Content-Security-Policy allows no inline script or
   event-handler attribute, so behaviour that templates ask for by a data- attribute lives here. */

/* <form data-confirm="Question?"> asks before it submits. */
document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
