"""HTTP endpoints of the sync tasks seed: the filtered, paginated list, one task, scenario rename/delete."""

from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import InvalidInput, NotAuthenticated
from core.pagination import PageSizePagination

from .models import World
from .selectors import default_locale, sync_task_get, sync_tasks_list
from .serializers import LocaleQuery, ScenarioRename, SyncTaskQuery, sync_task_body
from .services import scenario_delete, scenario_rename

TOKEN_PARAMETERS = ("private", "task_type")


class SyncTaskListApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        query = SyncTaskQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        authenticated = request.user.is_authenticated
        for name in TOKEN_PARAMETERS:
            if name in request.query_params and not authenticated:
                raise NotAuthenticated(f"The '{name}' parameter requires a token.")
        world = None
        if filters.get("world"):
            world = World.objects.filter(alias=filters["world"]).first()
            if world is None:
                raise InvalidInput(f"Unknown world '{filters['world']}'.", field="world")
        locale = filters.get("locale") or default_locale(user=request.user)
        tasks = sync_tasks_list(user=request.user, filters=filters, world=world, locale=locale)
        paginator = PageSizePagination()
        page = paginator.paginate_queryset(tasks, request, view=self)
        bodies = [sync_task_body(t, locale=locale, enriched=world is not None, full=authenticated) for t in page]
        return paginator.get_paginated_response(bodies)


class SyncTaskDetailApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request, pk: int):
        task = sync_task_get(user=request.user, task_id=pk)
        query = LocaleQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        locale = query.validated_data.get("locale") or default_locale(user=request.user)
        return Response(sync_task_body(task, locale=locale, enriched=False, full=request.user.is_authenticated))

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

    def delete(self, request, pk: int):
        self._require_token(request)
        scenario_delete(user=request.user, task=sync_task_get(user=request.user, task_id=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @staticmethod
    def _require_token(request):
        if not request.user.is_authenticated:
            raise NotAuthenticated("Authentication credentials were not provided.")
