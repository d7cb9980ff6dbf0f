"""Admin classes whose saves and deletes go through services, like the API's and the UI's."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from . import services
from .errors import DomainError


class ServiceAdmin(admin.ModelAdmin):
    """Saves with `record_save` (validation + audit) or the model's own services."""

    create_service = None
    update_service = None
    list_per_page = 50

    def form_data(self, form) -> dict:
        return {name: form.cleaned_data[name] for name in form.cleaned_data if name in form.fields}

    def save_model(self, request, obj, form, change):
        if not change and self.create_service is not None:
            created = type(self).create_service(data=self.form_data(form), actor=request.user)
            obj.pk = created.pk
            obj.__dict__.update(
                {k: v for k, v in created.__dict__.items() if not k.startswith("_")}
            )
            obj._state.adding = False
        elif change and self.update_service is not None:
            stored = type(obj)._default_manager.get(pk=obj.pk)
            type(self).update_service(
                instance=stored, data=self.form_data(form), actor=request.user
            )
        else:
            services.record_save(instance=obj, actor=request.user)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            services.record_delete(instance=obj, actor=request.user)
        for obj in instances:
            services.record_save(instance=obj, actor=request.user)
        formset.save_m2m()

    def delete_model(self, request, obj):
        services.record_delete(instance=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except (DomainError, ValidationError) as exc:
            self.message_user(
                request, "; ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR
            )
            from django.http import HttpResponseRedirect

            return HttpResponseRedirect(request.get_full_path())


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
