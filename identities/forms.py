"""Forms of the sign-in and account pages: they validate and normalise, and never save."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class SignInForm(AuthenticationForm):
    # The same words for an unknown name and a wrong password; names are not case-sensitive.
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The user name or password is not right.",
    }


class MFACodeForm(forms.Form):
    code = forms.CharField(
        label="MFA code",
        max_length=12,
        help_text="The 6-digit code your authenticator app shows now.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 8}
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError("Enter the 6 digits your authenticator app shows.")
        return code


class PasswordChangeForm(forms.Form):
    """The user's own new password; the account policy is checked by the service that sets it."""

    current_password = forms.CharField(
        label="Current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password = forms.CharField(
        label="New password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    new_password_again = forms.CharField(
        label="New password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_current_password(self) -> str:
        password = self.cleaned_data["current_password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("Your current password is not right.")
        return password

    def clean(self):
        cleaned = super().clean()
        new, again = cleaned.get("new_password"), cleaned.get("new_password_again")
        if new and again and new != again:
            self.add_error("new_password_again", "The two new passwords differ.")
        if new and new == cleaned.get("current_password"):
            self.add_error("new_password", "Choose a password other than your current one.")
        return cleaned
