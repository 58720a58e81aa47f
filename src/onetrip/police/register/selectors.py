"""Reads of the register, always scoped to what the staff member's jurisdiction covers."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from onetrip.police.accounts.selectors import staff_profile, station_codes_in_scope

from .errors import DeclarationNotFound
from .models import RegistrationStatus, ResidenceDeclaration


def declarations_visible_to(
    *, user: AbstractBaseUser | AnonymousUser
) -> QuerySet[ResidenceDeclaration]:
    profile = staff_profile(user) if user.is_authenticated else None
    if profile is None:
        return ResidenceDeclaration.objects.none()
    codes = station_codes_in_scope(profile)
    qs = ResidenceDeclaration.objects.select_related("station")
    if codes is None:
        return qs
    return qs.filter(station__code__in=codes)


def declaration_queue(
    *, user: AbstractBaseUser | AnonymousUser, status: str = RegistrationStatus.DECLARED
) -> QuerySet[ResidenceDeclaration]:
    return declarations_visible_to(user=user).filter(status=status).order_by("received_at", "id")


def declaration_for_staff(
    *, user: AbstractBaseUser | AnonymousUser, reference: str
) -> ResidenceDeclaration:
    """The declaration if it lies in the user's jurisdiction; otherwise "not found"."""
    found = declarations_visible_to(user=user).filter(reference=reference.strip().upper()).first()
    if found is None:
        raise DeclarationNotFound(reference)
    return found
