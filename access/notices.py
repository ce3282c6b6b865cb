"""E-mail about access requests: to the approvers when one arrives, to the requester when it
is decided and shortly before the grant ends. Sent after the transaction commits, and a mail
server that fails is logged, never raised: it must not undo or block a decision.

A contact address only ever addresses mail; it identifies no one."""

import logging

from django.core.mail import send_mail

logger = logging.getLogger(__name__)


def _send(subject: str, body: str, recipients: list[str]) -> int:
    recipients = sorted({address for address in recipients if address})
    if not recipients:
        return 0
    try:
        return send_mail(subject, body, None, recipients)
    except Exception:  # any failure of the mail server or its connection
        logger.warning(
            "access request mail %r to %d recipients could not be sent", subject, len(recipients), exc_info=True
        )
        return 0


def request_arrived(request) -> int:
    from access import queries

    approvers = queries.possible_approvers(request)
    subject = f"Access request {request.pk} from {request.requester.username}"
    body = (
        f"{request.requester.username} asks for {request.in_words()}.\n\n"
        f"Why: {request.justification}\n\nDecide it before {request.decide_by:%Y-%m-%d %H:%M} UTC."
    )
    return _send(subject, body, [user.contact_email for user in approvers])


def request_decided(request) -> int:
    subject = f"Your access request {request.pk} is {request.state}"
    body = f"Your request for {request.in_words()} is {request.state}."
    if request.reason:
        body += f"\n\nReason: {request.reason}"
    if request.expires_at is not None and request.state == "approved":
        body += f"\n\nIt ends at {request.expires_at:%Y-%m-%d %H:%M} UTC."
    return _send(subject, body, [request.requester.contact_email])


def grant_ending(request) -> int:
    subject = f"Your access from request {request.pk} ends soon"
    body = f"Your {request.in_words()} ends at {request.expires_at:%Y-%m-%d %H:%M} UTC."
    return _send(subject, body, [request.requester.contact_email])
