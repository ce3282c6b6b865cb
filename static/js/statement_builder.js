/* The visual statement builder beside the policy editors (templates/policies/_statement_builder.html).

   The JSON in the editor's textarea stays the truth: the builder reads one statement of it into its
   fields, and writes one statement back (a new one at the end, or the one it showed), leaving every
   other statement, and every part of the shown one it cannot show, exactly as written. It writes
   nothing while the document is not JSON, nor over a statement that changed in the JSON since it
   was shown. The catalogue comes from the console (policies:catalogue), one service at a time. */
(() => {
  "use strict";

  const VERSION = "2012-10-17";
  const PRINCIPAL_KINDS = ["AWS", "Service", "Federated"];
  const PRINCIPAL_HELP = {
    AWS: "An account ID, arn:aws:iam::<account>:root, or a role's or user's ARN.",
    Service: "A service principal, such as ec2.amazonaws.com.",
    Federated: "An identity provider: its OpenID provider's host or its ARN.",
  };
  const VALUE_HELP = {
    String: "Text; StringLike takes * and ?.",
    Arn: "ARNs; ArnLike takes * and ?.",
    Numeric: "Numbers.",
    Date: "Dates in ISO 8601 (2026-01-31T00:00:00Z) or epoch seconds.",
    Bool: "true or false.",
    Ip: "Addresses or CIDR ranges (203.0.113.0/24).",
    Binary: "Base64.",
    Null: "true: the key is absent; false: it is present.",
  };

  const fetched = new Map();

  function fetchJson(url) {
    if (!fetched.has(url)) {
      const request = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(
        (response) => {
          if (!response.ok || !(response.headers.get("Content-Type") || "").includes("json")) {
            throw new Error(`the catalogue answered ${response.status}`);
          }
          return response.json();
        },
      );
      request.catch(() => fetched.delete(url));
      fetched.set(url, request);
    }
    return fetched.get(url);
  }

  const asList = (value) => (Array.isArray(value) ? value : value === undefined ? [] : [value]);
  const isPlainObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
  const isTextList = (value) =>
    typeof value === "string" ||
    (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === "string"));
  const isScalarList = (value) => {
    const scalar = (item) => ["string", "number", "boolean"].includes(typeof item);
    return scalar(value) || (Array.isArray(value) && value.length > 0 && value.every(scalar));
  };
  const sameList = (list, value) => {
    const other = asList(value).map(String);
    return list.length === other.length && list.every((item, index) => item === other[index]);
  };
  /* A list as the document writes it: the original value when nothing changed (its form, its
     numbers and booleans), else one string or a list. */
  const written = (list, original) => (sameList(list, original) ? original : list.length === 1 ? list[0] : [...list]);

  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name === "text") {
        node.textContent = value;
      } else if (value !== false && value !== undefined && value !== null) {
        node.setAttribute(name, value === true ? "" : value);
      }
    }
    node.append(...children);
    return node;
  }

  function parseOperator(text) {
    const [qualifier, name] = text.includes(":") ? text.split(/:(.*)/s, 2) : ["", text];
    const ifExists = name.endsWith("IfExists");
    return { qualifier, name: ifExists ? name.slice(0, -"IfExists".length) : name, ifExists };
  }

  class Builder {
    constructor(root) {
      this.root = root;
      this.trust = root.hasAttribute("data-trust");
      this.textarea = document.getElementById(root.dataset.target);
      this.url = root.dataset.catalogueUrl;
      this.parts = {};
      root.querySelectorAll("[data-part]").forEach((node) => {
        if (!(node.dataset.part in this.parts)) {
          this.parts[node.dataset.part] = node;
        }
      });
      this.index = null;
      this.catalogue = null;
      this.typed = new Map(); // what was typed into the ARN fields, kept as the chosen actions change
      this.service = null;
      this.reset();
      root.hidden = false;
      root.addEventListener("toggle", () => this.open());
      if (root.open || window.location.hash === `#${root.id}`) {
        root.open = true;
        this.open();
      }
    }

    /* The builder's own picture of one statement. */
    reset(statement = {}) {
      this.original = statement;
      this.actions = [];
      this.resources = [];
      this.principals = { AWS: [], Service: [], Federated: [] };
      this.conditions = [];
      this.kept = [];
      this.held = { sid: false, action: false, resource: false, principal: false, condition: false };
    }

    async open() {
      if (!this.root.open || this.opened) {
        return;
      }
      this.opened = true;
      this.root.setAttribute("aria-busy", "true");
      this.bind();
      try {
        this.catalogue = await fetchJson(this.url);
        this.fillServices();
        this.refreshStatements();
        await this.chooseService(this.trust ? "sts" : "");
        this.renderAll();
      } catch (error) {
        this.say(`The catalogue could not be read (${error.message}): reload the page to try again.`);
      } finally {
        this.root.removeAttribute("aria-busy");
      }
    }

    bind() {
      const { parts } = this;
      this.textarea.addEventListener("input", () => this.refreshStatements());
      parts.statement.addEventListener("change", () => this.labelWrite());
      parts.show.addEventListener("click", () => this.show());
      parts.service.addEventListener("change", async () => {
        await this.chooseService(parts.service.value);
        this.renderAll();
      });
      parts.search.addEventListener("input", () => this.filterActions());
      parts["all-actions"].addEventListener("change", () => {
        const every = `${this.service.prefix}:*`;
        this.toggleAction(every, parts["all-actions"].checked);
      });
      parts.actions.addEventListener("change", (event) => {
        if (event.target.matches("input[type=checkbox]")) {
          this.toggleAction(event.target.value, event.target.checked);
        }
      });
      if (parts["all-resources"]) {
        parts["all-resources"].addEventListener("change", () => {
          // All resources stands for every ARN: it replaces them, as "*" alone says it.
          this.resources = parts["all-resources"].checked ? ["*"] : this.resources.filter((resource) => resource !== "*");
          this.renderResources();
        });
      }
      if (parts["principal-add"]) {
        parts["principal-add"].addEventListener("click", () => this.addPrincipal());
        parts["principal-kind"].addEventListener("change", () => this.describePrincipal());
        this.describePrincipal();
      }
      parts["condition-key"].addEventListener("change", () => this.describeConditionKey());
      parts["condition-operator"].addEventListener("change", () => this.describeOperator());
      parts["condition-add"].addEventListener("click", () => this.addCondition());
      parts.write.addEventListener("click", () => this.write());
    }

    say(text) {
      this.parts.status.textContent = text;
    }

    /* The document as typed: {document} or {error}; an empty editor is a new document. */
    readDocument() {
      const text = this.textarea.value;
      if (!text.trim()) {
        return { document: { Version: VERSION, Statement: [] } };
      }
      let parsed;
      const inexact = [];
      try {
        /* Where the browser gives each value's source text, a number it would write back otherwise
           (1.0 as 1, a long integer rounded) is found; AWS compares such a number as its text. */
        parsed = JSON.parse(text, (key, value, context) => {
          if (typeof value === "number" && context && context.source !== undefined && context.source !== String(value)) {
            inexact.push(context.source);
          }
          return value;
        });
      } catch {
        return {
          error: "The document is not valid JSON: fix it in the editor first; the visual editor reads and writes nothing until then.",
        };
      }
      if (inexact.length) {
        const numbers = inexact.join(", ");
        return {
          error: `The document has numbers the visual editor would not write back as written (${numbers}): edit this document in the JSON.`,
        };
      }
      if (!isPlainObject(parsed)) {
        return { error: "The document is not a JSON object: the visual editor reads and writes nothing." };
      }
      const statements = parsed.Statement;
      if (statements !== undefined && !Array.isArray(statements) && !isPlainObject(statements)) {
        return { error: "The document's Statement is neither a statement nor a list of them: the visual editor writes nothing." };
      }
      return { document: parsed };
    }

    statementsOf(policy) {
      return policy.Statement === undefined ? [] : asList(policy.Statement);
    }

    refreshStatements() {
      const { statement } = this.parts;
      const chosen = statement.value;
      const read = this.readDocument();
      statement.replaceChildren(element("option", { value: "new", text: "A new statement" }));
      this.parts["document-state"].textContent = read.error || "";
      if (read.document) {
        this.statementsOf(read.document).forEach((item, index) => {
          statement.append(element("option", { value: String(index), text: this.statementName(item, index) }));
        });
      }
      statement.value = [...statement.options].some((option) => option.value === chosen) ? chosen : "new";
      this.labelWrite();
    }

    statementName(item, index) {
      const sid = isPlainObject(item) && typeof item.Sid === "string" && item.Sid ? ` (${item.Sid})` : "";
      return `Statement ${index + 1}${sid}`;
    }

    labelWrite() {
      this.parts.write.textContent =
        this.index === null ? "Add to the document" : `Replace statement ${this.index + 1} in the document`;
    }

    fillServices() {
      const { service } = this.parts;
      for (const entry of this.catalogue.services) {
        service.append(element("option", { value: entry.prefix, text: `${entry.prefix} (${entry.name})` }));
      }
    }

    knownService(prefix) {
      return this.catalogue.services.some((entry) => entry.prefix === prefix);
    }

    async chooseService(prefix) {
      const known = prefix && this.knownService(prefix);
      this.parts.service.value = known ? prefix : "";
      try {
        this.service = known ? await fetchJson(`${this.url}${encodeURIComponent(prefix)}/`) : null;
      } catch (error) {
        this.service = null;
        this.parts.service.value = "";
        this.say(`The ${prefix} service could not be read (${error.message}): choose it again.`);
      }
    }

    /* Show the chosen statement (or a blank new one) in the builder. */
    async show() {
      const choice = this.parts.statement.value;
      if (choice === "new") {
        this.index = null;
        this.reset();
        await this.chooseService(this.trust ? "sts" : this.service ? this.service.prefix : "");
        this.setFields("Allow", "");
        this.renderAll();
        this.say("A new statement: choose its actions, then add it to the document.");
        this.labelWrite();
        return;
      }
      const read = this.readDocument();
      if (read.error) {
        this.say(read.error);
        return;
      }
      const statement = this.statementsOf(read.document)[Number(choice)];
      if (!isPlainObject(statement)) {
        this.say("That statement is not a JSON object: the visual editor cannot show it.");
        return;
      }
      this.index = Number(choice);
      this.read(statement);
      const prefixes = this.actions.map((action) => action.split(":")[0].toLowerCase());
      const first = prefixes.find((prefix) => this.knownService(prefix));
      await this.chooseService(first || (this.trust ? "sts" : ""));
      this.renderAll();
      this.labelWrite();
      const kept = this.kept.length ? " Some parts cannot be shown here; they are kept as written." : "";
      this.say(`${this.statementName(statement, this.index)} shown.${kept}`);
    }

    setFields(effect, sid) {
      this.root.querySelectorAll("[data-part=effect]").forEach((radio) => {
        radio.checked = radio.value === effect;
      });
      this.parts.sid.value = sid;
    }

    read(statement) {
      this.reset(statement);
      const kept = this.kept;
      const managed = new Set(["Sid", "Effect", "Action", "Condition", this.trust ? "Principal" : "Resource"]);
      for (const name of Object.keys(statement)) {
        if (!managed.has(name)) {
          kept.push(name);
        }
      }
      const effect = ["Allow", "Deny"].includes(statement.Effect) ? statement.Effect : "";
      if (!effect && statement.Effect !== undefined) {
        kept.push(`Effect ${JSON.stringify(statement.Effect)}`);
      }
      this.held.sid = statement.Sid !== undefined && typeof statement.Sid !== "string";
      if (this.held.sid) {
        kept.push(`Sid ${JSON.stringify(statement.Sid)}`);
      }
      this.setFields(effect, this.held.sid ? "" : statement.Sid || "");
      this.actions = this.readList(statement, "Action", "action");
      if (!this.trust) {
        this.resources = this.readList(statement, "Resource", "resource");
      } else {
        this.held.principal = "NotPrincipal" in statement;
        this.readPrincipal(statement.Principal);
      }
      this.readConditions(statement.Condition);
      for (const action of this.actions) {
        const prefix = action.split(":")[0].toLowerCase();
        if (action !== "*" && action.includes(":") && !this.knownService(prefix) && !kept.includes(`the service ${prefix}`)) {
          kept.push(`the service ${prefix}, not in the catalogue (its actions are listed as written)`);
        }
      }
    }

    readList(statement, name, part) {
      const value = statement[name];
      if (value === undefined) {
        this.held[part] = Object.keys(statement).some((key) => key === `Not${name}`);
        return [];
      }
      if (!isTextList(value)) {
        this.held[part] = true;
        this.kept.push(`${name} (not text or a list of text)`);
        return [];
      }
      return asList(value);
    }

    readPrincipal(principal) {
      if (principal === undefined) {
        return;
      }
      if (!isPlainObject(principal)) {
        this.held.principal = true;
        this.kept.push(`Principal ${JSON.stringify(principal)}`);
        return;
      }
      for (const [kind, value] of Object.entries(principal)) {
        if (PRINCIPAL_KINDS.includes(kind) && isTextList(value)) {
          this.principals[kind] = asList(value);
        } else {
          this.kept.push(`Principal ${kind}`);
        }
      }
    }

    readConditions(condition) {
      if (condition === undefined) {
        return;
      }
      if (!isPlainObject(condition)) {
        this.held.condition = true;
        this.kept.push("Condition (not an object)");
        return;
      }
      for (const [operator, block] of Object.entries(condition)) {
        const parsed = parseOperator(operator);
        const offered = this.offered(parsed);
        if (!offered || !isPlainObject(block)) {
          this.kept.push(`the condition operator ${operator}`);
          continue;
        }
        for (const [key, values] of Object.entries(block)) {
          if (isScalarList(values)) {
            this.conditions.push({ operator, key, values: asList(values).map(String), original: values });
          } else {
            this.kept.push(`the condition ${operator} on ${key}`);
          }
        }
      }
    }

    /* Whether the builder offers this operator: one of the engine's, qualified and with IfExists as AWS allows. */
    offered({ qualifier, name, ifExists }) {
      const families = this.catalogue.operators;
      const known = Object.values(families).some((names) => names.includes(name));
      const goodQualifier = !qualifier || this.catalogue.qualifiers.includes(qualifier);
      return known && goodQualifier && !(ifExists && name === "Null");
    }

    renderAll() {
      this.renderActions();
      this.renderOtherActions();
      this.renderResources();
      this.renderPrincipals();
      this.fillConditionKeys();
      this.renderConditions();
      this.renderKept();
      this.labelWrite();
    }

    renderKept() {
      const { kept } = this.parts;
      const held = Object.entries(this.held)
        .filter(([, on]) => on)
        .map(([part]) => part);
      const names = [...new Set(this.kept)];
      kept.hidden = names.length === 0;
      kept.replaceChildren();
      if (names.length) {
        kept.append(
          element("span", { class: "fw-semibold", text: "Not shown here, kept exactly as written: " }),
          names.join("; "),
          ".",
        );
      }
      this.parts.sid.disabled = this.held.sid;
      for (const part of ["action", "resource", "principal", "condition"]) {
        const section = this.parts[`${part}-section`];
        if (section) {
          section.disabled = held.includes(part);
        }
      }
    }

    renderActions() {
      const { actions } = this.parts;
      actions.replaceChildren();
      const allLabel = this.parts["all-actions-label"];
      if (!this.service) {
        this.parts["all-actions"].checked = false;
        this.parts["all-actions"].disabled = true;
        allLabel.textContent = "All actions of the service";
        actions.append(element("p", { class: "small text-body-secondary mb-0", text: "Choose a service to see its actions." }));
        this.filterActions();
        return;
      }
      const prefix = this.service.prefix;
      const every = `${prefix}:*`;
      this.parts["all-actions"].disabled = false;
      this.parts["all-actions"].checked = this.has(every);
      allLabel.replaceChildren(`All ${prefix} actions (`, element("code", { text: every }), ")");
      for (const level of this.catalogue.access_levels) {
        const listed = this.service.actions.filter((action) => action.access_level === level);
        if (!listed.length) {
          continue;
        }
        const group = element("fieldset", { class: "mb-2", "data-level": level });
        group.append(element("legend", { class: "small fw-semibold mb-1 float-none", text: `${level} (${listed.length})` }));
        for (const action of listed) {
          const name = `${prefix}:${action.name}`;
          const id = `${this.root.id}-action-${action.name}`;
          const box = element("input", { class: "form-check-input", type: "checkbox", id, value: name, checked: this.has(name) });
          const label = element("label", { class: "form-check-label", for: id, text: action.name });
          const line = element("div", { class: "form-check", "data-action": action.name.toLowerCase() }, box, label);
          if (action.description) {
            const describedId = `${id}-text`;
            box.setAttribute("aria-describedby", describedId);
            line.append(element("div", { class: "form-text mt-0", id: describedId, text: action.description }));
          }
          group.append(line);
        }
        actions.append(group);
      }
      this.filterActions();
    }

    filterActions() {
      const query = this.parts.search.value.trim().toLowerCase();
      const lines = [...this.parts.actions.querySelectorAll("[data-action]")];
      let shown = 0;
      for (const line of lines) {
        line.hidden = Boolean(query) && !line.dataset.action.includes(query);
        shown += line.hidden ? 0 : 1;
      }
      this.parts.actions.querySelectorAll("fieldset").forEach((group) => {
        group.hidden = !group.querySelector("[data-action]:not([hidden])");
      });
      this.parts["action-count"].textContent = this.service
        ? query
          ? `${shown} of ${lines.length} actions match “${query}”.`
          : `${lines.length} actions, by access level.`
        : "";
    }

    has(action) {
      return this.actions.some((chosen) => chosen.toLowerCase() === action.toLowerCase());
    }

    toggleAction(action, on) {
      this.actions = this.actions.filter((chosen) => chosen.toLowerCase() !== action.toLowerCase());
      if (on) {
        this.actions.push(action);
      }
      this.renderOtherActions();
      this.renderResources();
    }

    /* The statement's actions the service's checkboxes do not show: wildcards, other services'. */
    renderOtherActions() {
      const shownHere = (action) => {
        if (!this.service) {
          return false;
        }
        const [prefix, name] = action.toLowerCase().split(/:(.*)/s, 2);
        const listed = this.service.actions.some((entry) => entry.name.toLowerCase() === name);
        return prefix === this.service.prefix && (name === "*" || listed);
      };
      const others = this.actions.filter((action) => !shownHere(action));
      this.parts["other-actions-section"].hidden = others.length === 0;
      this.renderChips(this.parts["other-actions"], others, (action) => {
        this.actions = this.actions.filter((chosen) => chosen !== action);
        this.renderOtherActions();
        this.renderResources();
      });
    }

    /* A list of values, each with its Remove button; removing one moves the focus to the next. */
    renderChips(list, values, remove, describe = (value) => value) {
      list.replaceChildren();
      values.forEach((value, position) => {
        const button = element("button", {
          type: "button",
          class: "btn btn-sm btn-outline-danger py-0",
          "aria-label": `Remove ${describe(value)}`,
          text: "Remove",
        });
        button.addEventListener("click", () => {
          remove(value);
          const buttons = list.querySelectorAll("button");
          (buttons[Math.min(position, buttons.length - 1)] || list).focus();
        });
        const item = element("li", { class: "list-group-item d-flex justify-content-between align-items-center gap-2 px-0" });
        item.append(element("code", { class: "text-break", text: describe(value) }), button);
        list.append(item);
      });
    }

    renderResources() {
      const { resources } = this.parts;
      if (!resources) {
        return;
      }
      this.parts["all-resources"].checked = this.resources.includes("*");
      this.renderChips(resources, this.resources.filter((resource) => resource !== "*"), (resource) => {
        this.resources = this.resources.filter((chosen) => chosen !== resource);
        this.renderResources();
      });
      this.renderArnBuilders();
    }

    /* A field for each ${Placeholder} of the ARN formats of the chosen actions' resource types. */
    renderArnBuilders() {
      const holder = this.parts["arn-builders"];
      holder.replaceChildren();
      if (!this.service) {
        return;
      }
      const prefix = this.service.prefix;
      const chosen = this.service.actions.filter((action) => this.has(`${prefix}:${action.name}`) || this.has(`${prefix}:*`));
      const names = new Set(chosen.flatMap((action) => action.resource_types));
      const kinds = this.service.resource_types.filter((kind) => names.has(kind.name));
      if (chosen.length && !kinds.length) {
        const text = "The chosen actions take no resource type: they need all resources (*).";
        holder.append(element("p", { class: "small text-body-secondary mb-1", text }));
      }
      for (const kind of kinds) {
        holder.append(this.arnBuilder(kind));
      }
    }

    arnBuilder(kind) {
      const id = `${this.root.id}-arn-${kind.name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
      const box = element("fieldset", { class: "border rounded p-2 mt-2" });
      box.append(
        element("legend", { class: "small fw-semibold mb-0 float-none w-auto px-1", text: `Resource type ${kind.name}` }),
        element("div", { class: "small mb-1" }, element("code", { class: "text-break", text: kind.arn_pattern })),
      );
      const row = element("div", { class: "row g-2 align-items-end" });
      const fields = [];
      const placeholders = [...new Set([...kind.arn_pattern.matchAll(/\$\{([^}]+)\}/g)].map((match) => match[1]))];
      for (const name of placeholders) {
        const input = element("input", {
          class: "form-control form-control-sm font-monospace",
          id: `${id}-${name}`,
          autocomplete: "off",
          spellcheck: "false",
          placeholder: "*",
          value: this.typed.get(`${id}-${name}`) ?? (this.catalogue.placeholders[name] || ""),
        });
        input.addEventListener("input", () => this.typed.set(input.id, input.value));
        fields.push([name, input]);
        const label = element("label", { class: "form-label small mb-1", for: input.id, text: name });
        row.append(element("div", { class: "col-12 col-md" }, label, input));
      }
      const add = element("button", { type: "button", class: "btn btn-sm btn-outline-secondary", text: `Add ${kind.name} ARN` });
      add.addEventListener("click", () => {
        let arn = kind.arn_pattern;
        for (const [name, input] of fields) {
          arn = arn.split(`\${${name}}`).join(input.value.trim() || "*");
        }
        this.resources = this.resources.filter((resource) => resource !== "*" && resource !== arn);
        this.resources.push(arn);
        this.renderResources();
        this.say(`${arn} added to the resources.`);
      });
      row.append(element("div", { class: "col-auto" }, add));
      box.append(row, element("div", { class: "form-text", text: "An empty field matches any value (*)." }));
      return box;
    }

    renderPrincipals() {
      const list = this.parts.principals;
      if (!list) {
        return;
      }
      const entries = PRINCIPAL_KINDS.flatMap((kind) => this.principals[kind].map((value) => `${kind}: ${value}`));
      this.renderChips(list, entries, (entry) => {
        const [kind, value] = entry.split(/: (.*)/s, 2);
        this.principals[kind] = this.principals[kind].filter((chosen) => chosen !== value);
        this.renderPrincipals();
      });
    }

    describePrincipal() {
      this.parts["principal-help"].textContent = PRINCIPAL_HELP[this.parts["principal-kind"].value];
    }

    addPrincipal() {
      const kind = this.parts["principal-kind"].value;
      const value = this.parts["principal-value"].value.trim();
      if (!value) {
        this.say("Type the principal first.");
        this.parts["principal-value"].focus();
        return;
      }
      if (!this.principals[kind].includes(value)) {
        this.principals[kind].push(value);
      }
      this.parts["principal-value"].value = "";
      this.renderPrincipals();
      this.say(`${kind} principal ${value} added.`);
    }

    /* Global keys, then the service's own, each with the operator families that suit its type. */
    fillConditionKeys() {
      const select = this.parts["condition-key"];
      const chosen = select.value;
      this.keys = new Map();
      select.replaceChildren();
      const groups = [["Global keys", this.catalogue.global_keys]];
      if (this.service) {
        groups.push([`${this.service.prefix} keys`, this.service.condition_keys]);
      }
      for (const [label, keys] of groups) {
        const group = element("optgroup", { label });
        for (const entry of keys) {
          this.keys.set(entry.key, entry);
          group.append(element("option", { value: entry.key, text: `${entry.key} (${entry.type})` }));
        }
        select.append(group);
      }
      if (this.keys.has(chosen)) {
        select.value = chosen;
      }
      this.describeConditionKey();
    }

    describeConditionKey() {
      const entry = this.keys.get(this.parts["condition-key"].value);
      if (!entry) {
        return;
      }
      const template = entry.key.match(/\/\$\{([^}]+)\}$/);
      this.parts["condition-tag-field"].hidden = !template;
      if (template) {
        this.parts["condition-tag-label"].textContent = template[1];
      }
      this.parts["condition-qualifier-field"].hidden = !entry.type.startsWith("ArrayOf");
      const operator = this.parts["condition-operator"];
      const previous = operator.value;
      operator.replaceChildren();
      for (const family of [...(entry.families || Object.keys(this.catalogue.operators)), "Null"]) {
        for (const name of this.catalogue.operators[family] || []) {
          if (![...operator.options].some((option) => option.value === name)) {
            operator.append(element("option", { value: name, text: name }));
          }
        }
      }
      if ([...operator.options].some((option) => option.value === previous)) {
        operator.value = previous;
      }
      this.describeOperator();
    }

    familyOf(name) {
      return Object.keys(this.catalogue.operators).find((family) => this.catalogue.operators[family].includes(name));
    }

    describeOperator() {
      const name = this.parts["condition-operator"].value;
      const ifExists = this.parts["condition-if-exists"];
      ifExists.disabled = name === "Null";
      if (ifExists.disabled) {
        ifExists.checked = false;
      }
      this.parts["condition-help"].textContent = VALUE_HELP[this.familyOf(name)] || "";
    }

    addCondition() {
      const { parts } = this;
      const entry = this.keys.get(parts["condition-key"].value);
      let key = entry.key;
      if (!parts["condition-tag-field"].hidden) {
        const tag = parts["condition-tag"].value.trim();
        if (!tag) {
          this.say(`Type the ${parts["condition-tag-label"].textContent} of the key first.`);
          parts["condition-tag"].focus();
          return;
        }
        key = key.replace(/\$\{[^}]+\}$/, tag);
      }
      const values = parts["condition-values"].value.split("\n").map((value) => value.trim()).filter(Boolean);
      if (!values.length) {
        this.say("Type at least one value first.");
        parts["condition-values"].focus();
        return;
      }
      let operator = parts["condition-operator"].value + (parts["condition-if-exists"].checked ? "IfExists" : "");
      if (!parts["condition-qualifier-field"].hidden) {
        operator = `${parts["condition-qualifier"].value}:${operator}`;
      }
      this.conditions = this.conditions.filter((row) => !(row.operator === operator && row.key === key));
      this.conditions.push({ operator, key, values });
      parts["condition-values"].value = "";
      this.renderConditions();
      this.say(`Condition ${operator} on ${key} added.`);
    }

    renderConditions() {
      const describe = (row) => `${row.operator} ${row.key}: ${row.values.join(", ")}`;
      this.renderChips(this.parts.conditions, this.conditions, (row) => {
        this.conditions = this.conditions.filter((chosen) => chosen !== row);
        this.renderConditions();
      }, describe);
    }

    /* The statement as the builder has it, on the shown statement's own elements and order. */
    compose() {
      const original = this.original;
      const values = new Map();
      const sid = this.parts.sid.value.trim();
      if (!this.held.sid) {
        values.set("Sid", sid === "" && original.Sid !== "" ? undefined : sid);
      }
      const effect = this.root.querySelector("[data-part=effect]:checked");
      if (effect) {
        values.set("Effect", effect.value);
      }
      if (this.trust && !this.held.principal) {
        values.set("Principal", this.composePrincipal());
      }
      if (!this.held.action) {
        values.set("Action", this.actions.length ? written(this.actions, original.Action) : undefined);
      }
      if (!this.trust && !this.held.resource) {
        values.set("Resource", this.resources.length ? written(this.resources, original.Resource) : undefined);
      }
      if (!this.held.condition) {
        values.set("Condition", this.composeCondition());
      }
      const statement = {};
      for (const name of Object.keys(original)) {
        const value = values.has(name) ? values.get(name) : original[name];
        if (value !== undefined) {
          statement[name] = value;
        }
      }
      for (const [name, value] of values) {
        if (!(name in original) && value !== undefined) {
          statement[name] = value;
        }
      }
      return statement;
    }

    composePrincipal() {
      const original = isPlainObject(this.original.Principal) ? this.original.Principal : {};
      const principal = {};
      const kinds = [...new Set([...Object.keys(original), ...PRINCIPAL_KINDS])];
      for (const kind of kinds) {
        if (!PRINCIPAL_KINDS.includes(kind) || (kind in original && !isTextList(original[kind]))) {
          principal[kind] = original[kind];
        } else if (this.principals[kind].length) {
          principal[kind] = written(this.principals[kind], original[kind]);
        }
      }
      return Object.keys(principal).length ? principal : undefined;
    }

    /* Each operator and key where the shown statement had it, then the new ones; operators and
       values the builder does not show stay as they were. */
    composeCondition() {
      const original = isPlainObject(this.original.Condition) ? this.original.Condition : {};
      const rows = new Map(this.conditions.map((row) => [JSON.stringify([row.operator, row.key]), row]));
      const condition = {};
      const put = (operator, key, value) => {
        condition[operator] = { ...condition[operator], [key]: value };
      };
      for (const [operator, block] of Object.entries(original)) {
        if (!this.offered(parseOperator(operator)) || !isPlainObject(block)) {
          condition[operator] = block;
          continue;
        }
        for (const [key, values] of Object.entries(block)) {
          const id = JSON.stringify([operator, key]);
          if (!isScalarList(values)) {
            put(operator, key, values);
          } else if (rows.has(id)) {
            put(operator, key, written(rows.get(id).values, rows.get(id).original));
            rows.delete(id);
          }
        }
      }
      for (const row of rows.values()) {
        put(row.operator, row.key, written(row.values, row.original));
      }
      return Object.keys(condition).length ? condition : undefined;
    }

    missing(statement) {
      if (!statement.Effect) {
        return "Choose Allow or Deny first.";
      }
      if (!statement.Action && !statement.NotAction) {
        return "Choose at least one action first.";
      }
      if (!this.trust && !statement.Resource && !statement.NotResource) {
        return "Choose the resources first: all resources, or an ARN.";
      }
      if (this.trust && !statement.Principal && !statement.NotPrincipal) {
        return "Add a principal first: who may assume the role.";
      }
      return "";
    }

    write() {
      const read = this.readDocument();
      if (read.error) {
        this.say(read.error);
        return;
      }
      const policy = read.document;
      const statements = this.statementsOf(policy);
      if (this.index !== null && JSON.stringify(statements[this.index]) !== JSON.stringify(this.original)) {
        const number = this.index + 1;
        this.say(`Statement ${number} changed in the JSON since it was shown here: show it again, then edit it. Nothing was written.`);
        return;
      }
      const statement = this.compose();
      const missing = this.missing(statement);
      if (missing) {
        this.say(`${missing} Nothing was written.`);
        return;
      }
      if (this.index === null) {
        statements.push(statement);
        this.index = statements.length - 1;
      } else {
        statements[this.index] = statement;
      }
      policy.Statement = isPlainObject(policy.Statement) && statements.length === 1 ? statements[0] : statements;
      this.textarea.value = JSON.stringify(policy, null, 2);
      this.original = statement;
      this.refreshStatements();
      this.parts.statement.value = String(this.index);
      this.labelWrite();
      this.say(`Statement ${this.index + 1} written into the document; it is being checked.`);
      this.textarea.dispatchEvent(new Event("input", { bubbles: true }));
      this.textarea.dispatchEvent(new KeyboardEvent("keyup", { bubbles: true }));
    }
  }

  function setUp(scope) {
    scope.querySelectorAll("[data-statement-builder]:not([data-ready])").forEach((root) => {
      root.dataset.ready = "";
      if (document.getElementById(root.dataset.target)) {
        new Builder(root);
      }
    });
  }

  setUp(document);
  document.addEventListener("htmx:load", (event) => setUp(event.target.parentElement || document));
})();
