"""A form of a page read as a browser submits it: what a person who opened the page sends
back when they save, hidden fields included."""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, wanted):
        super().__init__()
        self.wanted, self.inside, self.found = wanted, False, False
        self.fields: list[tuple[str, str]] = []
        self.textarea: str | None = None
        self.select: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "form" and not self.found and self.wanted(attrs):
            self.inside = self.found = True
        if not self.inside:
            return
        if tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button", "file"):
                self.fields.append((attrs["name"], attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea":
            self.textarea, self.text = attrs.get("name"), []
        elif tag == "select":
            self.select = attrs.get("name")
        elif tag == "option" and self.select and "selected" in attrs:
            self.fields.append((self.select, attrs.get("value", "")))

    def handle_data(self, data):
        if self.textarea is not None:
            self.text.append(data)

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "textarea" and self.textarea is not None:
            text = "".join(self.text)
            # A browser drops the one newline that follows <textarea>.
            self.fields.append((self.textarea, text[1:] if text.startswith("\n") else text))
            self.textarea = None
        elif tag == "select":
            self.select = None
        elif tag == "form":
            self.inside = False


def form_data(html: str | bytes, **attributes: str) -> dict[str, str | list[str]]:
    """The fields of the page's first form with these attributes (`action=...`, `id=...`,
    `class_=...`), as {name: value}, or a list of values for a repeated name."""

    def wanted(attrs):
        return all(attrs.get(name.rstrip("_")) == value for name, value in attributes.items())

    reader = _FormReader(wanted)
    reader.feed(html.decode() if isinstance(html, bytes) else html)
    assert reader.found, f"no form with {attributes} on the page"
    data: dict[str, list[str]] = {}
    for name, value in reader.fields:
        data.setdefault(name, []).append(value)
    return {name: values[0] if len(values) == 1 else values for name, values in data.items()}
