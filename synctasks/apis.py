"""HTTP endpoints of the catalog: the sync task lists (seed and platform path), one task, scenarios, data sources."""

from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotAuthenticated
from core.pagination import PageSizePagination

from .schema import SYNC_TASKS_DELETE, SYNC_TASKS_LIST, SYNC_TASKS_RENAME, SYNC_TASKS_RETRIEVE
from .schema_platform import DATA_SOURCES_LIST, SYNC_TASKS_PLATFORM_LIST
from .selectors import (
    data_source_filters_allowed,
    data_source_locale_check,
    data_sources_list,
    data_sources_locale,
    default_locale,
    locale_check,
    locale_for,
    sync_task_filters_allowed,
    sync_task_get,
    sync_tasks_list,
    world_requested,
)
from .serializers import (
    DataSourceQuery,
    LocaleQuery,
    ScenarioRename,
    SyncTaskQuery,
    data_source_body,
    sync_task_body,
)
from .services import scenario_delete, scenario_rename


class SyncTaskListApi(APIView):
    permission_classes = [AllowAny]

    @SYNC_TASKS_LIST
    def get(self, request):
        query = SyncTaskQuery(data=request.query_params, context={"locale_check": locale_check})
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        authenticated = request.user.is_authenticated
        sync_task_filters_allowed(user=request.user, named=request.query_params)
        world = world_requested(alias=filters.get("world"))
        locale = locale_for(user=request.user, requested=filters.get("locale"))
        tasks = sync_tasks_list(user=request.user, filters=filters, world=world, locale=locale)
        paginator = PageSizePagination()
        page = paginator.paginate_queryset(tasks, request, view=self)
        bodies = [sync_task_body(t, locale=locale, enriched=world is not None, full=authenticated) for t in page]
        return paginator.get_paginated_response(bodies)


class SyncTaskPlatformListApi(SyncTaskListApi):
    """/api/v1/sync_tasks/: the same list, documented under the platform's path."""

    @SYNC_TASKS_PLATFORM_LIST
    def get(self, request):
        return super().get(request)


class DataSourceListApi(APIView):
    permission_classes = [AllowAny]

    @DATA_SOURCES_LIST
    def get(self, request):
        data_source_filters_allowed(user=request.user, named=request.query_params)
        query = DataSourceQuery(data=request.query_params, context={"locale_check": data_source_locale_check})
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        world = world_requested(alias=filters.get("world"))
        locale = data_sources_locale(user=request.user, requested=filters.get("locale"), world=world)
        rows = data_sources_list(user=request.user, world=world, dc_ids=filters.get("dc_id"))
        return Response([data_source_body(row, locale=locale) for row in rows])


class SyncTaskDetailApi(APIView):
    permission_classes = [AllowAny]

    @SYNC_TASKS_RETRIEVE
    def get(self, request, pk: int):
        task = sync_task_get(user=request.user, task_id=pk)
        query = LocaleQuery(data=request.query_params, context={"locale_check": locale_check})
        query.is_valid(raise_exception=True)
        locale = locale_for(user=request.user, requested=query.validated_data.get("locale"))
        return Response(sync_task_body(task, locale=locale, enriched=False, full=request.user.is_authenticated))

    @SYNC_TASKS_RENAME
    def patch(self, request, pk: int):
        self._require_token(request)
        form = ScenarioRename(data=request.data)
        form.is_valid(raise_exception=True)
        # The rename changes the task's scenario in place: no second read is needed to answer.
        task = scenario_rename(
            user=request.user, task=sync_task_get(user=request.user, task_id=pk), name=form.validated_data["name"]
        )
        locale = default_locale(user=request.user)
        return Response(sync_task_body(task, locale=locale, enriched=False, full=True))

    @SYNC_TASKS_DELETE
    def delete(self, request, pk: int):
        self._require_token(request)
        scenario_delete(user=request.user, task=sync_task_get(user=request.user, task_id=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @staticmethod
    def _require_token(request):
        if not request.user.is_authenticated:
            raise NotAuthenticated("Authentication credentials were not provided.")
