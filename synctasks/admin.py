"""Admin pages for the catalog: data sources, sync tasks, data connections, feature types, grants."""

from django import forms
from django.conf import settings
from django.contrib import admin

from .models import (
    Analysis,
    Calculation,
    DataConnection,
    DataSource,
    FeatureType,
    Scenario,
    Subscription,
    SyncTask,
    UploadGrant,
    UserPreference,
    World,
)
from .services import sync_task_schedule_apply


def _locales(*values: dict) -> list[str]:
    """The locales a localized text is edited in: the configured ones and the default, then any
    other that one of the texts already has (so that none is dropped by a save)."""
    names = [*settings.NEXUS_LOCALES, settings.NEXUS_DEFAULT_LOCALE]
    for value in values:
        names += list(value) if isinstance(value, dict) else []
    return list(dict.fromkeys(names))


def _locale_field(name: str, locale: str) -> str:
    return f"{name}__{locale.replace('-', '_')}"


class LocalizedTextsForm(forms.ModelForm):
    """A model form that edits each localized JSON field ({"nl-NL": "...", ...}) of `localized` as
    one text field per locale; an empty one leaves its locale out."""

    localized: tuple[str, ...] = ()
    locales: tuple[str, ...] = ()
    # Of `localized`, those the model requires (not blank): they need a text in one locale at least.
    required_texts: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.localized:
            texts = getattr(self.instance, name) or {}
            for locale in self.locales:
                self.fields[_locale_field(name, locale)].initial = texts.get(locale, "")

    def clean(self):
        cleaned = super().clean()
        for name in self.localized:
            texts = {locale: cleaned.get(_locale_field(name, locale), "").strip() for locale in self.locales}
            texts = {locale: text for locale, text in texts.items() if text}
            if name in self.required_texts and not texts:
                self.add_error(_locale_field(name, self.locales[0]), f"Give the {name} in one locale at least.")
            setattr(self.instance, name, texts)
        return cleaned


class LocalizedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose `localized` JSON fields are edited one field per locale (LocalizedTextsForm)."""

    localized: tuple[str, ...] = ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        locales = _locales(*(getattr(obj, name, None) for name in self.localized))
        required = tuple(name for name in self.localized if not self.model._meta.get_field(name).blank)
        attrs = {"localized": self.localized, "locales": tuple(locales), "required_texts": required}
        for name in self.localized:
            for locale in locales:
                widget = forms.Textarea(attrs={"rows": 2, "cols": 80})
                label = f"{name} ({locale})"
                attrs[_locale_field(name, locale)] = forms.CharField(label=label, required=False, widget=widget)
        kwargs["form"] = type(f"{self.model.__name__}LocalizedForm", (LocalizedTextsForm,), attrs)
        return super().get_form(request, obj, change=change, **kwargs)

    def get_exclude(self, request, obj=None):
        # The JSON itself is not a form field: the per-locale fields (declared on the form) stand for it.
        return (*(super().get_exclude(request, obj) or ()), *self.localized)


class UploadGrantInline(admin.TabularInline):
    model = UploadGrant
    extra = 0
    autocomplete_fields = ["user", "organization"]


@admin.register(DataSource)
class DataSourceAdmin(LocalizedAdmin):
    list_display = ("id", "name", "organization", "ext", "uploadable", "private", "sync_last_finished")
    list_filter = ("uploadable", "private", "organization")
    search_fields = ("name",)
    # Moved by the ingests and harvests only.
    readonly_fields = ("sync_last_finished",)
    localized = ("description",)
    inlines = [UploadGrantInline]


# Kept by the ingest, in the same transaction as the data: never edited by hand.
INGEST_KEPT = ("n_features", "oldest_time", "newest_time")


class DataConnectionInline(admin.TabularInline):
    """A task's connections in brief (the page stays within a screen's width); the join type and
    the output lists are edited on a connection's own page."""

    model = DataConnection
    fk_name = "sync_task"
    extra = 0
    fields = ("feature_type", "name", "join_to", "join_prop", *INGEST_KEPT)
    readonly_fields = INGEST_KEPT
    show_change_link = True


@admin.register(SyncTask)
class SyncTaskAdmin(admin.ModelAdmin):
    list_display = ("id", "task_type", "data_source", "calculation", "scenario", "trigger", "harvest_last_success")
    list_filter = ("task_type",)
    list_select_related = ("data_source", "calculation", "scenario")
    # Moved by successful harvests only.
    readonly_fields = ("harvest_last_success",)
    inlines = [DataConnectionInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        sync_task_schedule_apply(task=obj)


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0


@admin.register(DataConnection)
class DataConnectionAdmin(admin.ModelAdmin):
    # The join is shown on the connection's page: its name beside the task's cut the list past 1400 px.
    list_display = ("id", "sync_task", "feature_type", "name", "n_features", "oldest_time", "newest_time")
    list_filter = ("feature_type",)
    list_select_related = ("sync_task", "feature_type")
    readonly_fields = INGEST_KEPT
    inlines = [SubscriptionInline]


@admin.register(World)
class WorldAdmin(admin.ModelAdmin):
    list_display = ("alias", "name", "locale")
    search_fields = ("alias", "name")
    inlines = [SubscriptionInline]


@admin.register(Calculation)
class CalculationAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "organization", "function", "input_connection", "input_parameter", "pending_since")
    readonly_fields = ("pending_since",)
    search_fields = ("name",)


@admin.register(Analysis)
class AnalysisAdmin(LocalizedAdmin):
    list_display = ("id", "__str__")
    localized = ("name", "description")


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "analysis", "created_by", "organization")
    list_filter = ("organization",)


@admin.register(UserPreference)
class UserPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "default_world")


@admin.register(FeatureType)
class FeatureTypeAdmin(admin.ModelAdmin):
    list_display = ("alias", "name", "kind")
    search_fields = ("alias", "name")
