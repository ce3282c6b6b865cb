"""The console's one way of writing dates (FORMAT_MODULE_PATH): the same in its pages, the
account and MFA pages and the Django admin, always with the zone."""
