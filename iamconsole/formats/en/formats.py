# Django's date-format characters: "2026-12-02 14:55 UTC". T is the zone of the shown time,
# which is UTC as settings.TIME_ZONE is.
DATETIME_FORMAT = "Y-m-d H:i T"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "H:i T"
