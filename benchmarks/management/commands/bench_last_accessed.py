"""The cost of recording last-accessed data on the decision path, as a ratio.

Times warm decisions of one principal (its layers compiled once, as the API's cache keeps
them), each followed by what the API does after an Allow (`lastaccess.note_decision`), against
the same decisions without it, in interleaved rounds; then the one write of everything
recorded (`lastaccess.flush`), which a request pays once per IAM_LAST_ACCESSED_FLUSH_SECONDS.
It uses the configured database and adds the user `bench-last-accessed` if it is missing.
"""

import statistics
import time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from identities import services as identity_services
from identities.models import User
from policies import authorization, lastaccess, services
from policies.engine import Outcome
from policies.models import LastAccessed

USERNAME = "bench-last-accessed"
ACTIONS = ("storage:GetObject", "storage:PutObject", "storage:ListBucket", "storage:GetBucketPolicy")
READS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "storage:*", "Resource": "*"}]}


class Command(BaseCommand):
    help = "Print the overhead of recording last-accessed data per decision, as a ratio, and the flush's time."

    def add_arguments(self, parser):
        parser.add_argument("--decisions", type=int, default=20000, help="decisions per round")
        parser.add_argument("--rounds", type=int, default=5)
        parser.add_argument("--resources", type=int, default=50, help="distinct resources the decisions cycle over")

    def handle(self, *args, decisions: int, rounds: int, resources: int, **options):
        layers = authorization.layers_of(self._principal())
        requests = [
            (ACTIONS[index % len(ACTIONS)], f"arn:aws:storage:::bench-bucket/object-{index % resources}")
            for index in range(decisions)
        ]
        assert authorization.decide(layers, *requests[0]).outcome is Outcome.ALLOW
        plain, recorded = [], []
        # Nothing is written while timing: the write is timed on its own below.
        with override_settings(IAM_LAST_ACCESSED_FLUSH_SECONDS=10**9):
            lastaccess.recorder.clear()
            for _ in range(max(rounds, 1)):
                plain.append(_timed(layers, requests, record=False))
                recorded.append(_timed(layers, requests, record=True))
            started = time.perf_counter()
            lastaccess.flush()
            flush_seconds = time.perf_counter() - started
        ratios = [with_it / without for with_it, without in zip(recorded, plain, strict=True)]
        self._report(decisions, plain, recorded, ratios, flush_seconds)

    def _principal(self) -> User:
        user = User.objects.filter(username=USERNAME).first()
        if user is None:
            with transaction.atomic():
                user = identity_services.create_user(username=USERNAME, actor=None)
                services.put_inline_policy(identity=user, policy_name="Storage", document=READS, actor=None)
        return user

    def _report(self, decisions, plain, recorded, ratios, flush_seconds) -> None:
        per = 1e6 / decisions
        self.stdout.write(f"{decisions} warm decisions a round, {len(ratios)} interleaved rounds")
        self.stdout.write(f"without recording: {statistics.median(plain) * per:.2f} µs a decision (median round)")
        self.stdout.write(f"with recording:    {statistics.median(recorded) * per:.2f} µs a decision (median round)")
        self.stdout.write("ratios: " + " ".join(f"{ratio:.3f}" for ratio in ratios))
        self.stdout.write(f"median ratio: {statistics.median(ratios):.3f}")
        rows = LastAccessed.objects.filter(principal_arn__endswith=f":user/{USERNAME}").count()
        self.stdout.write(f"flush: {flush_seconds * 1000:.1f} ms for {rows} rows, once per flush interval")


def _timed(layers, requests, *, record: bool) -> float:
    decide, note = authorization.decide, lastaccess.note_decision
    started = time.perf_counter()
    for action, resource in requests:
        decision = decide(layers, action, resource)
        if record and decision.outcome is Outcome.ALLOW:
            note(layers, action, resource)
    return time.perf_counter() - started
