from rest_framework.permissions import DjangoModelPermissions


class ModelPermissions(DjangoModelPermissions):
    """Deny by default: reading needs the model's view permission, writing its add/change/delete.

    State-changing POST actions on a record (`/confirm/`) are checked by the action's own
    `required_permission`; without one they need the change permission.
    """

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        action = getattr(view, "action", None)
        extra = getattr(view, "action_permissions", {}).get(action)
        if extra is not None:
            return request.user.has_perms(extra)
        if (
            getattr(view, "detail", False)
            and request.method == "POST"
            and action
            not in (
                None,
                "create",
            )
        ):
            queryset = self._queryset(view)
            model = queryset.model
            return request.user.has_perm(f"{model._meta.app_label}.change_{model._meta.model_name}")
        return super().has_permission(request, view)


def require_perms(*perms: str):
    """A permission class for views without a model (lookups): the user needs `perms`."""
    from rest_framework.permissions import BasePermission

    class RequirePerms(BasePermission):
        def has_permission(self, request, view):
            return bool(
                request.user and request.user.is_authenticated and request.user.has_perms(perms)
            )

    return RequirePerms
