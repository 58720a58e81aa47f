"""The courier's status callbacks (POST /courier/callbacks/): no session, no CSRF token; the
courier proves itself by the HMAC signature of each callback (`police/courier/callbacks.py`)."""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from onetrip.common.errors import ApplicationError
from onetrip.police.audit.services import audit_record
from onetrip.police.courier import CallbackRefused, get_courier

from .services import COURIER_ACTOR, PURPOSE, courier_event_apply

logger = logging.getLogger(__name__)


def _error(exc: ApplicationError) -> JsonResponse:
    return JsonResponse(exc.as_body(), status=exc.status, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_POST
def courier_callback(request: HttpRequest) -> JsonResponse:
    """Verify, then apply once. A refused callback is audited and answered 401/400 with the
    one error body; whatever the bytes, the answer is never a 500, so the courier's retries
    are for what it may well send right next time."""
    try:
        body = request.body
        event = get_courier().verify_callback(request.headers, body)
    except CallbackRefused as exc:
        refused = exc
    except Exception:  # an unreadable request is refused, never answered with a 500
        logger.warning("courier callback unreadable", exc_info=True)
        refused = CallbackRefused(
            "courier.callback_invalid",
            "快递回调内容格式错误，已拒绝",
            "The courier callback could not be read",
        )
    else:
        try:
            outcome = courier_event_apply(event=event)
        except ApplicationError as exc:
            return _error(exc)
        return JsonResponse({"ok": True, "result": outcome, "event_id": event.event_id})
    audit_record(
        actor=COURIER_ACTOR,
        action="delivery.callback_refused",
        object_type="courier_callback",
        object_id="-",
        purpose=PURPOSE,
        success=False,
        detail={"code": refused.code},
    )
    logger.warning("courier callback refused code=%s", refused.code)
    return _error(refused)
