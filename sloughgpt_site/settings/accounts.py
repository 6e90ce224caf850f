"""django-allauth: email-only accounts with mandatory verification and rate limits."""

from .env import env_int, env_str

AUTH_USER_MODEL = "accounts.User"
# One backend, so every password check costs one hash whether the account exists, the password
# is right or the account may not sign in here (a second backend hashed again after a failure).
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
ACCOUNT_ADAPTER = "apps.accounts.adapter.AccountAdapter"
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "/accounts/login/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/accounts/login/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Counted in the Redis cache, so the limits hold across every web process. Failed logins: 5
# per account from one address (apps.accounts.login_throttle keys them by account and address,
# an IPv6 address by its /64, so one account's failures never lock another), a looser 30 per
# address over all accounts against spraying, and 50 an hour per account over all addresses
# against guessing one account from many (which may lock its owner out until the hour ends or
# a password reset).
ACCOUNT_RATE_LIMITS = {
    "login_failed": "30/5m/ip,5/5m/key",
    "login_failed_account": "50/h/key",
    "signup": "20/h/ip",
    "reset_password": "5/h/ip,3/h/key",
    "confirm_email": "3/5m/key",
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "SloughGPT <noreply@localhost>")
# Days a team invitation link keeps working (apps.teams.services.invitation_create).
SLOUGHGPT_INVITATION_TTL_DAYS = env_int("SLOUGHGPT_INVITATION_TTL_DAYS", 7)
# Teams one user may own: each team is an account with its own plan, so owning many would
# multiply one person's quotas (apps.teams.services).
SLOUGHGPT_TEAMS_PER_USER = env_int("SLOUGHGPT_TEAMS_PER_USER", 10)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Proxies in front of the site whose X-Forwarded-For entries are trusted: 0 reads the client's
# address from the connection; N takes the N-th address from the right of X-Forwarded-For (the
# one the outermost trusted proxy saw). Every login limit uses it, and DRF's NUM_PROXIES is set
# from it (sloughgpt_site/settings/drf.py) for throttles added later.
SLOUGHGPT_TRUSTED_PROXY_COUNT = env_int("SLOUGHGPT_TRUSTED_PROXY_COUNT", 0)
