"""HTTP endpoints of the sync tasks seed: the filtered, paginated list, one task, scenario rename/delete."""

from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotAuthenticated
from core.pagination import PageSizePagination

from .schema import SYNC_TASKS_DELETE, SYNC_TASKS_LIST, SYNC_TASKS_RENAME, SYNC_TASKS_RETRIEVE
from .selectors import (
    default_locale,
    locale_check,
    locale_for,
    sync_task_filters_allowed,
    sync_task_get,
    sync_tasks_list,
    world_requested,
)
from .serializers import LocaleQuery, ScenarioRename, SyncTaskQuery, sync_task_body
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
