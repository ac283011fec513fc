# How the merchant's pages write dates and times (Django's locale formats for English):
# unambiguous day-month-year, 24-hour clock, and the shop's time zone always shown.
DATETIME_FORMAT = "j M Y, H:i T"
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i T"
