from django import forms

from federation.models import FederatedIdentity, GroupClaimRule


class ClaimRuleForm(forms.Form):
    claim_value = forms.CharField(
        label="Group claim value",
        max_length=GroupClaimRule._meta.get_field("claim_value").max_length,
        help_text="Whoever signs in with this value in the provider's group claim joins the group.",
    )


class BindForm(forms.Form):
    value = forms.CharField(
        label="Claim value at the provider",
        max_length=FederatedIdentity._meta.get_field("value").max_length,
        help_text="The provider's immutable ID of the person (its sub claim, unless the settings name another).",
    )
