"""HTTP endpoints of stored data and harvests: the events read, a connection's series and events, sync, runs."""

from django.http import StreamingHttpResponse
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.formats import utc_z
from core.pagination import PageSizePagination
from synctasks.selectors import sync_task_get

from .access import sync_task_harvestable
from .events import events_csv, events_query
from .models import HarvestRun
from .runs import harvest_queue
from .schema import EVENTS, RUNS, SYNC
from .schema_events import DC_SERIES, PLATFORM_EVENTS
from .selectors import data_connection_readable, events_csv_lines, harvest_runs_of, series_of


class EventsQuery(serializers.Serializer):
    feature = serializers.CharField()
    parameter = serializers.CharField()
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)


class DataConnectionEventsApi(APIView):
    permission_classes = [AllowAny]  # public sources are readable without a token; private ones need one

    @EVENTS
    def get(self, request, dc_id: int):
        query = EventsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        dc = data_connection_readable(user=request.user, dc_id=dc_id)
        lines = events_csv_lines(
            dc=dc,
            feature=query.validated_data["feature"],
            parameter=query.validated_data["parameter"],
            start=query.validated_data.get("start"),
            end=query.validated_data.get("end"),
        )
        return StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")


class EventsApi(APIView):
    """GET /api/v1/events/?world=&timeseries_id=: one series' events as the platform's CSV."""

    permission_classes = [AllowAny]  # public sources' series are readable without a token

    @PLATFORM_EVENTS
    def get(self, request):
        query = events_query(user=request.user, params=request.query_params)
        return StreamingHttpResponse(events_csv(query), content_type="text/csv; charset=utf-8")


class DataConnectionSeriesApi(APIView):
    """GET /api/v1/dataconnections/{dc_id}/series/: the connection's series, with the ids the events read takes."""

    permission_classes = [AllowAny]

    @DC_SERIES
    def get(self, request, dc_id: int):
        dc = data_connection_readable(user=request.user, dc_id=dc_id)
        paginator = PageSizePagination()
        page = paginator.paginate_queryset(series_of(dc=dc), request, view=self)
        return paginator.get_paginated_response(
            [
                {
                    "id": series.id,
                    "feature": series.feature_key,
                    "parameter": series.parameter,
                    "newest_time": utc_z(series.newest_time),
                }
                for series in page
            ]
        )


def _run_body(run: HarvestRun) -> dict:
    return {
        "id": run.id,
        "status": run.status,
        "created": run.created.isoformat(),
        "started": run.started.isoformat() if run.started else None,
        "finished": run.finished.isoformat() if run.finished else None,
        "attempts": run.attempts,
        "bytes": run.bytes,
        "report": run.report,
    }


class SyncTaskSyncApi(APIView):
    """POST /api/v1/sync_tasks_new/{id}/sync/: queues an on-demand harvest (202 with the run's id)."""

    permission_classes = [IsAuthenticated]

    @SYNC
    def post(self, request, pk: int):
        task = sync_task_harvestable(user=request.user, task_id=pk)
        run = harvest_queue(task=task, user=request.user)
        return Response({"id": run.id, "status": run.status}, status=status.HTTP_202_ACCEPTED)


class SyncTaskRunsApi(APIView):
    permission_classes = [IsAuthenticated]

    @RUNS
    def get(self, request, pk: int):
        task = sync_task_get(user=request.user, task_id=pk)
        paginator = PageSizePagination()
        page = paginator.paginate_queryset(harvest_runs_of(task=task), request, view=self)
        return paginator.get_paginated_response([_run_body(run) for run in page])
