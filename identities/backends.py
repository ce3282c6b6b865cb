"""Authentication backends of identities: they say who you are, never what you may do."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend

from identities import naming


class PasswordBackend(BaseBackend):
    """Signs in an enabled user by name (without regard to ASCII case) and password.

    It grants nothing: permissions come only from IAM policies, so this is not
    Django's ModelBackend, which would grant from auth groups and permissions.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user_model = get_user_model()
        key = naming.sign_in_key(username)
        try:
            if key is None:  # not ASCII: no user's name
                raise user_model.DoesNotExist
            user = user_model.objects.get(username__lower=key)
        except user_model.DoesNotExist:
            # Spend the same time as a real check, so timing does not reveal names.
            user_model().set_password(password)
            return None
        # The password is checked for a disabled user too, before is_active: skipping the
        # hash would answer sooner and so tell which names are disabled users.
        if user.check_password(password) and user.is_active:
            return user
        return None

    def get_user(self, user_id):
        user = get_user_model().objects.filter(pk=user_id).first()
        return user if user is not None and user.is_active else None
