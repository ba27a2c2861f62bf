"""Reads of the catalog: which data sources a user may upload to."""

from django.db.models import Q, QuerySet

from accounts.models import Membership, Role, User

from .models import DataSource, UploadGrant


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
