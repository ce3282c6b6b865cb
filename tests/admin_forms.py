"""Build the POST data of an admin change form from the page itself."""


def admin_form_data(client, url: str, fields: dict, new_rows: dict[str, list[dict]] | None = None) -> dict:
    """The form's fields, every inline's management data and its existing rows as shown,
    plus `new_rows` keyed by the model name of the inline that adds them."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    data = dict(fields)
    new_rows = new_rows or {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        initial = formset.initial_form_count()
        adding = new_rows.get(formset.model._meta.model_name, []) if initial == 0 and formset.extra else []
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(initial + len(adding))
        data[f"{formset.prefix}-INITIAL_FORMS"] = str(initial)
        for index, form in enumerate(formset.initial_forms):
            for name in form.fields:
                value = form[name].value()
                if value not in (None, "") and name != "DELETE":
                    data[f"{formset.prefix}-{index}-{name}"] = str(value)
            data[f"{formset.prefix}-{index}-id"] = str(form.instance.pk)
            data[f"{formset.prefix}-{index}-{formset.fk.name}"] = str(formset.instance.pk)
        for index, row in enumerate(adding, start=initial):
            for name, value in row.items():
                data[f"{formset.prefix}-{index}-{name}"] = str(value)
    return data
