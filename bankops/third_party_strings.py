"""Strings of the third-party apps that ship no zh-Hans catalog (or an incomplete one), so that `make
messages` keeps them in ours and their screens read in Chinese. Never imported: makemessages reads it
as text. Our catalog (LOCALE_PATHS) comes before the apps' own, so a msgid here also overrides their
translation.

django-axes 8.3.1 (the sign-in lockout): its models, admin and lockout message.
Django 5.2: the strings its zh-Hans catalog lacks (added since its last translation), found by
comparing each contrib app's locale/en with its locale/zh_Hans; and Django's auth "group(s)", which
BankOps calls 用户组 (Django says 组, and our customers' groups, 客群, take the msgid with the context
"customer"). The admin's JavaScript strings are in locale/zh_Hans/LC_MESSAGES/djangojs.po.
"""

from django.utils.translation import gettext_noop, ngettext

AXES = (
    gettext_noop("Access Attempt"),
    gettext_noop("Access lock out"),
    gettext_noop("Account locked: too many login attempts. Please try again later."),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Attempt Time"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Expires At"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("GET Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Locked Out"),
    gettext_noop("Logout Time"),
    gettext_noop("Meta Data"),
    gettext_noop("No"),
    gettext_noop("Not set"),
    gettext_noop("POST Data"),
    gettext_noop("Path"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("User Agent"),
    gettext_noop("Username"),
    gettext_noop("Yes"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
)

DJANGO = (
    # django.contrib.admin templates (app_list.html, auth/user/add_form.html, login.html, …)
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    gettext_noop("Error:"),
    gettext_noop("Forgotten your login credentials?"),
    gettext_noop("In case you’ve forgotten, you are:"),
    # django.forms (a choice that no longer exists)
    gettext_noop("%(model)s instance with %(field)s %(value)r is not a valid choice."),
    # django.contrib.auth: the model Group and User.groups
    gettext_noop("group"),
    gettext_noop("groups"),
    ngettext(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        0,
    ),
)
