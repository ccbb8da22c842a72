"""Quality factories the shared tests/factories.py does not have."""

import datetime

import factory
from django.utils import timezone

from quality.models import (
    Acknowledgement,
    Certification,
    ComplianceRequirement,
    CorrectiveAction,
    Inspection,
)
from tests.factories import (
    InspectionPlanFactory,
    NonConformanceFactory,
    SOPVersionFactory,
    UserFactory,
    WarehouseFactory,
)


class InspectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inspection

    plan = factory.SubFactory(InspectionPlanFactory)
    warehouse = factory.SubFactory(WarehouseFactory)
    quantity = 10
    sample_size = 2


class CorrectiveActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CorrectiveAction

    non_conformance = factory.SubFactory(NonConformanceFactory)
    action = "Retrain the receiving team on pallet checks"
    owner = factory.SubFactory(UserFactory)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=14))


class ComplianceRequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ComplianceRequirement

    standard = "ISO 9001:2015"
    clause = factory.Sequence(lambda n: f"8.{n}")
    title = factory.Sequence(lambda n: f"Requirement {n}")
    next_review = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certification

    name = factory.Sequence(lambda n: f"Certificate {n}")
    issuer = "Bureau Veritas"
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=365))


class AcknowledgementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Acknowledgement

    user = factory.SubFactory(UserFactory)
    version = factory.SubFactory(SOPVersionFactory)
