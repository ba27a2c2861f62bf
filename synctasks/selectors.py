"""Reads of the catalog: upload rights, visibility, and the sync task list with its filters."""

from django.conf import settings
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from accounts.models import Membership, Role, User
from core.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound

from .locales import LOCALE_FORM, PLATFORM_LOCALES, locale_match
from .models import DataConnection, DataSource, Subscription, SyncTask, TaskType, UploadGrant, UserPreference, World


def data_sources_uploadable_by(*, user: User) -> QuerySet[DataSource]:
    """Data sources the user may upload to: as an uploader of the owning organization, through a
    grant to the user or to one of the user's organizations, or as a superuser. One query."""
    if user.is_superuser:
        return DataSource.objects.all()
    uploader_of = Membership.objects.filter(user=user, role=Role.UPLOADER).values("organization_id")
    member_of = Membership.objects.filter(user=user).values("organization_id")
    granted = UploadGrant.objects.filter(Q(user=user) | Q(organization_id__in=member_of)).values("data_source_id")
    return DataSource.objects.filter(Q(organization_id__in=uploader_of) | Q(pk__in=granted))


def data_source_can_upload(*, user: User, data_source: DataSource) -> bool:
    return data_sources_uploadable_by(user=user).filter(pk=data_source.pk).exists()


def data_source_visible_to(*, user: User, data_source: DataSource) -> bool:
    """Public sources are visible to everyone; private ones to their organization's members, to
    users they are granted to, and to superusers."""
    if not data_source.private or user.is_superuser:
        return True
    if Membership.objects.filter(user=user, organization_id=data_source.organization_id).exists():
        return True
    return data_sources_uploadable_by(user=user).filter(pk=data_source.pk).exists()


def data_source_kind(*, data_source_id: int) -> str:
    """What a data source's connections hold, as one word for a metric's label: their feature kinds,
    sorted and joined by "+" ("timeseries", "spatial+timeseries"), or "none"."""
    kinds = DataConnection.objects.filter(sync_task__data_source_id=data_source_id).values_list(
        "feature_type__kind", flat=True
    )
    return "+".join(sorted(set(kinds))) or "none"


def known_locales(*, extra=()) -> dict[str, str]:
    """The locales a request may name, by their lower-case form: the configured ones, the default,
    `extra` and the worlds' (only those of locale form: a locale becomes a JSON key in a query)."""
    names = [*settings.NEXUS_LOCALES, settings.NEXUS_DEFAULT_LOCALE, *extra]
    names += World.objects.values_list("locale", flat=True).distinct()
    return {name.lower(): name for name in names if LOCALE_FORM.fullmatch(name)}


def locale_check(raw: str, *, extra=()) -> str:
    """A requested locale in its known spelling (see locales.locale_match), or InvalidInput."""
    known = known_locales(extra=extra)
    found = locale_match(raw, known=known, default=settings.NEXUS_DEFAULT_LOCALE)
    if found is None:
        raise InvalidInput(f"Unknown locale '{raw}'; known: {', '.join(sorted(known.values()))}.", field="locale")
    return found


def data_source_locale_check(raw: str) -> str:
    """locale_check for the data source list, which also knows the platform's locales (PLATFORM_LOCALES)."""
    return locale_check(raw, extra=PLATFORM_LOCALES)


def default_locale(*, user) -> str:
    """The user's world's locale, else the server's default."""
    if user.is_authenticated:
        preference = UserPreference.objects.select_related("default_world").filter(user=user).first()
        if preference is not None and preference.default_world is not None:
            return preference.default_world.locale
    return settings.NEXUS_DEFAULT_LOCALE


def locale_for(*, user, requested: str | None) -> str:
    """The locale a request asked for, else the caller's default (see default_locale)."""
    return requested or default_locale(user=user)


# Filters only a caller with a token may use: with them one could tell private tasks exist.
TOKEN_FILTERS = ("private", "task_type")


def sync_task_filters_allowed(*, user, named) -> None:
    """NotAuthenticated when a caller without a token names (even empty) a filter that needs one."""
    for name in TOKEN_FILTERS:
        if name in named and not user.is_authenticated:
            raise NotAuthenticated(f"The '{name}' parameter requires a token.")


def world_requested(*, alias: str | None) -> World | None:
    """The world a request names, None when it names none, or InvalidInput on `world`."""
    if not alias:
        return None
    world = World.objects.filter(alias=alias).first()
    if world is None:
        raise InvalidInput(f"Unknown world '{alias}'.", field="world")
    return world


def sync_tasks_visible(*, user) -> QuerySet[SyncTask]:
    """Without a token, public data source tasks; with one, also the private data sources,
    calculations and scenarios of the caller's organizations (superusers: everything)."""
    public = Q(task_type=TaskType.DATA_SOURCE, data_source__private=False)
    tasks = SyncTask.objects.all()
    if not user.is_authenticated:
        return tasks.filter(public)
    if user.is_superuser:
        return tasks
    orgs = Membership.objects.filter(user=user).values("organization_id")
    mine = (
        Q(data_source__organization_id__in=orgs)
        | Q(calculation__organization_id__in=orgs)
        | Q(scenario__organization_id__in=orgs)
    )
    return tasks.filter(public | mine)


def sync_tasks_list(*, user, filters: dict, world: World | None, locale: str) -> QuerySet[SyncTask]:
    """The visible tasks after the seed's filters, with everything the page needs prefetched: the
    number of queries does not grow with the number of tasks."""
    tasks = sync_tasks_visible(user=user)
    connections = DataConnection.objects.select_related("feature_type", "join_to__feature_type").order_by("id")
    # Connection-level conditions hold together for one connection: a task matches through a
    # connection that is of the feature type AND subscribed in the world AND among dc_id.
    matching = DataConnection.objects.all()
    if filters.get("feature_type"):
        condition = Q(feature_type__alias__icontains=filters["feature_type"])
        matching, connections = matching.filter(condition), connections.filter(condition)
    if world is not None:
        subscribed = Subscription.objects.filter(world=world)
        matching = matching.filter(pk__in=subscribed.values("data_connection_id"))
        connections = connections.filter(pk__in=subscribed.values("data_connection_id")).annotate(
            retention_time=Subquery(subscribed.filter(data_connection=OuterRef("pk")).values("retention_time")[:1])
        )
    if filters.get("dc_id"):
        matching = matching.filter(pk__in=filters["dc_id"])  # selects tasks; the nested list stays whole
    if filters.get("feature_type") or world is not None or filters.get("dc_id"):
        tasks = tasks.filter(pk__in=matching.values("sync_task_id"))
    if filters.get("private") is not None:
        tasks = tasks.filter(task_type=TaskType.DATA_SOURCE, data_source__private=filters["private"])
    if filters.get("task_type"):
        tasks = tasks.filter(task_type=filters["task_type"])
    if filters.get("uploadable") is not None:
        uploadable = Q(task_type=TaskType.DATA_SOURCE, data_source__uploadable=True)
        tasks = tasks.filter(uploadable if filters["uploadable"] else ~uploadable)
    if filters.get("search"):
        text = filters["search"]
        # The description as shown: the locale's text when there is one, else any of its texts.
        # The key is a transform, never spliced into a lookup path ('nl__regex' stays a key).
        tasks = tasks.annotate(locale_text=KeyTextTransform(locale, "data_source__description"))
        in_locale = Q(data_source__description__has_key=locale) & Q(locale_text__icontains=text)
        fallback = ~Q(data_source__description__has_key=locale) & Q(description_text__icontains=text)
        tasks = tasks.annotate(description_text=Cast("data_source__description", TextField())).filter(
            Q(data_source__name__icontains=text) | Q(calculation__name__icontains=text) | in_locale | fallback
        )
    return (
        tasks.select_related(
            "data_source__organization",
            "calculation__organization",
            "scenario__analysis",
            "scenario__created_by",
            "scenario__organization",
        )
        .prefetch_related(Prefetch("dataconnections", queryset=connections, to_attr="listed_connections"))
        .order_by("id")
    )


def sync_task_get(*, user, task_id: int) -> SyncTask:
    task = sync_tasks_list(user=user, filters={}, world=None, locale="").filter(pk=task_id).first()
    if task is None:
        raise NotFound(f"Sync task {task_id} does not exist.")
    return task


# Filters of the data source list; the platform refuses them without a token (403).
DATA_SOURCE_FILTERS = ("world", "dc_id")


def data_source_filters_allowed(*, user, named) -> None:
    """Forbidden when a caller without a token names (even empty) a filter of the data source list."""
    for name in DATA_SOURCE_FILTERS:
        if name in named and not user.is_authenticated:
            raise Forbidden(f"The '{name}' filter requires a token.")


def data_sources_visible(*, user) -> QuerySet[DataSource]:
    """Public data sources; with a token also the private ones of the caller's organizations and those
    granted to the caller for upload (superusers: all), as data_source_visible_to decides for one."""
    if not user.is_authenticated:
        return DataSource.objects.filter(private=False)
    if user.is_superuser:
        return DataSource.objects.all()
    orgs = Membership.objects.filter(user=user).values("organization_id")
    granted = data_sources_uploadable_by(user=user).values("pk")
    return DataSource.objects.filter(Q(private=False) | Q(organization_id__in=orgs) | Q(pk__in=granted))


def data_sources_locale(*, user, requested: str | None, world: World | None) -> str:
    """`?locale=`, else the locale of the world filtered on, else the caller's default (default_locale)."""
    return requested or (world.locale if world is not None else default_locale(user=user))


# The columns of a data source's body (serializers.data_source_body), as .values() names them.
DATA_SOURCE_ROW_FIELDS = (
    "name", "organization__name", "description", "private", "uploadable", "endpoint",
    "sync_task__harvest_last_success",
)  # fmt: skip


def data_sources_list(*, user, world: World | None, dc_ids: list[int] | None):
    """The visible data sources, by name, that have a connection subscribed in `world` and among
    `dc_ids` (one and the same connection, as sync_tasks_list filters): rows of DATA_SOURCE_ROW_FIELDS,
    one query, streamed from the cursor."""
    sources = data_sources_visible(user=user)
    if world is not None or dc_ids:
        matching = DataConnection.objects.all()
        if world is not None:
            matching = matching.filter(pk__in=Subscription.objects.filter(world=world).values("data_connection_id"))
        if dc_ids:
            matching = matching.filter(pk__in=dc_ids)
        sources = sources.filter(pk__in=matching.values("sync_task__data_source_id"))
    return sources.order_by("name", "id").values(*DATA_SOURCE_ROW_FIELDS).iterator()
