from django.contrib.auth.forms import AuthenticationForm


class SignInForm(AuthenticationForm):
    # The same words for an unknown name and a wrong password; names are not case-sensitive.
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The user name or password is not right.",
    }
