"""HTTP endpoint of stored data: a data connection's events as CSV, so a supplier can check what landed."""

from django.http import StreamingHttpResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from .selectors import data_connection_readable, events_csv_lines


class EventsQuery(serializers.Serializer):
    feature = serializers.CharField()
    parameter = serializers.CharField()
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)


class DataConnectionEventsApi(APIView):
    permission_classes = [AllowAny]  # public sources are readable without a token; private ones need one

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
