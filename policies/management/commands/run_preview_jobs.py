"""Make the change previews the console queued (policies.preview.jobs), one at a time.

    python manage.py run_preview_jobs            # run beside gunicorn: waits for jobs until stopped
    python manage.py run_preview_jobs --once     # run the queued ones and exit

Several may run at once, on one server or several: each job is claimed by one. A job whose
runner was stopped while making it is taken again after IAM_PREVIEW_JOB_TIMEOUT_SECONDS;
finished jobs are deleted a day after they finished.
"""

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from policies.preview import jobs


class Command(BaseCommand):
    help = "Make the queued change previews: until stopped, or with --once those queued now."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run the queued previews and exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between looks at an empty queue.")

    def handle(self, *args, once: bool, interval: float, **options):
        jobs.forget_finished()
        if once:
            self.stdout.write(f"{jobs.run_queued()} previews made.")
            return
        self.stdout.write("Waiting for change previews (stop with Ctrl-C or SIGTERM).")
        try:
            while True:
                close_old_connections()  # a server restarted or a connection dropped while waiting
                if jobs.run_queued():
                    jobs.forget_finished()
                else:
                    time.sleep(max(interval, 0.1))
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
