"""Pages reached without logging in: the unsubscribe link of campaign emails."""

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from ..services import campaigns


@csrf_exempt  # RFC 8058 one-click unsubscribe POSTs come from mail clients, without a token
def unsubscribe(request, token: str):
    try:
        target = campaigns.target_from_token(token)
    except (ValidationError, ObjectDoesNotExist):
        return render(request, "crm/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        campaigns.unsubscribe(token=token)
        return render(request, "crm/unsubscribe.html", {"done": True, "target": target})
    return render(request, "crm/unsubscribe.html", {"target": target, "token": token})
