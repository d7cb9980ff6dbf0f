"""An integrator exchanges a username and password for its API token.

Guarded like the sign-in page: failed attempts count per username and address, and the 11th
within the window is refused (429, `too_many_attempts`) with the right password too; the
anonymous rate limit applies on top.
"""

from django.contrib.auth import authenticate
from django.core.cache import cache
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ..login_throttle import (
    failure_key,
    locked_out,
    lockout_message,
    record_failure,
    retry_after,
)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")


class TooManyAttempts(exceptions.Throttled):
    default_code = "too_many_attempts"


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
        """The user's token (made on first use). A wrong username or password answers 400;
        too many failed attempts for the username from this address, 429 with `Retry-After`."""
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username, password = data.validated_data["username"], data.validated_data["password"]
        key = failure_key(request, username)
        if locked_out(key):
            raise TooManyAttempts(wait=int(retry_after()), detail=lockout_message())
        user = authenticate(request, username=username, password=password)
        if user is None or not user.is_active:
            record_failure(key)
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Unable to sign in with this username and password.")]},
                code="invalid_credentials",
            )
        cache.delete(key)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
