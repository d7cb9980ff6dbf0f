"""An integrator exchanges a username and password for its API token.

Guarded like the sign-in page, by the same limit (`login_throttle`): failed attempts count per
username and address (and per username), and the 11th within the window is refused (429,
`too_many_attempts`) with the right password too; the anonymous rate limit applies on top. A user
who must use a second factor also sends the current code from the authenticator app in
`otp_token`; a missing or wrong code is a failed attempt.
"""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from django_otp import user_has_device
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ..login_throttle import clear_failures, lockout, lockout_of, record_failure
from ..otp import must_use_second_factor, verify_code


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    otp_token = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        help_text="The 6-digit code from the authenticator app, for users who must use one.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")


class TooManyAttempts(exceptions.Throttled):
    default_code = "too_many_attempts"


def too_many_attempts(locked) -> TooManyAttempts:
    return TooManyAttempts(wait=locked.retry_after, detail=locked.message)


class ObtainTokenView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenSerializer},
        auth=[],
        summary="Get the API token for a username and password",
    )
    def post(self, request):
        """The user's token (made on first use). A wrong username or password answers 400; a
        missing or wrong `otp_token` for a user who must use a second factor, 400 naming
        `otp_token`; too many failed attempts for the username from this address, 429 with
        `Retry-After`."""
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username, password = data.validated_data["username"], data.validated_data["password"]
        locked = lockout(request, username)
        if locked is not None:
            raise too_many_attempts(locked)
        user = authenticate(request, username=username, password=password)
        if lockout_of(request) is not None:  # locked out between the two looks
            raise too_many_attempts(lockout_of(request))
        if user is None or not user.is_active:
            # authenticate() counted a wrong password; an inactive user's right one counts here.
            if user is not None:
                record_failure(request, username)
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Unable to sign in with this username and password.")]},
                code="invalid_credentials",
            )
        if must_use_second_factor(user):
            self.check_second_factor(request, user, data.validated_data.get("otp_token", ""))
        clear_failures(request, username)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @staticmethod
    def check_second_factor(request, user, code: str) -> None:
        if verify_code(user, code) is not None:
            return
        record_failure(request, user.get_username())
        if not user_has_device(user):
            message = _(
                "Set up an authenticator app first: sign in to the web app, which shows how."
            )
            error_code = "required"
        elif not code:
            message, error_code = _("Enter the code from your authenticator app."), "required"
        else:
            message, error_code = _("The code is not right."), "invalid"
        raise exceptions.ValidationError({"otp_token": [message]}, code=error_code)
