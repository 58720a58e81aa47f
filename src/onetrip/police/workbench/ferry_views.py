"""The ferry page of the workbench: the police zone's ferry figures, alarms and quarantine.

Who may see it is decided by `staff_may_operate_ferry` alone; anyone else gets 404, as if the
page did not exist. Releasing or discarding a quarantined batch and clearing an alarm go through
`onetrip.ferry.operations.actions`, which records the actor and the reason in the zone's ferry
events, and write a police audit row in the same transaction as the change. The inspect page
shows what a batch's manifest claims and which message types it holds, never a message payload
(DESIGN §8).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from onetrip.ferry.models import Alarm
from onetrip.ferry.operations import actions, errors, quarantined
from onetrip.ferry.operations.status import zone_status
from onetrip.ferry.transports import close_transports
from onetrip.police.accounts.models import StaffProfile
from onetrip.police.accounts.selectors import staff_may_operate_ferry, staff_profile
from onetrip.police.audit.models import AuditEvent
from onetrip.police.audit.services import audit_actor, audit_record

ZONE = "police"

CATEGORY_LABELS = {
    quarantined.CATEGORY_CONFLICT: gettext_lazy("安全告警：已应用序号下出现不同批次"),
    quarantined.CATEGORY_CHAIN: gettext_lazy("安全告警：哈希链断裂"),
    quarantined.CATEGORY_BAD_SIGNATURE: gettext_lazy("签名无效"),
    quarantined.CATEGORY_UNKNOWN_KEY: gettext_lazy("未知或已停用的密钥"),
    quarantined.CATEGORY_WRONG_CHANNEL: gettext_lazy("通道不符"),
    quarantined.CATEGORY_HASH_MISMATCH: gettext_lazy("消息哈希不符"),
    quarantined.CATEGORY_TRUNCATED: gettext_lazy("文件不完整"),
    quarantined.CATEGORY_SCHEMA: gettext_lazy("未知的消息类型或版本"),
    quarantined.CATEGORY_NO_HANDLER: gettext_lazy("本区域缺少该消息的处理程序"),
    quarantined.CATEGORY_ACK_MISMATCH: gettext_lazy("回执与已发批次不符"),
    quarantined.CATEGORY_DECRYPT: gettext_lazy("无法解密"),
    quarantined.CATEGORY_BAD_NAME: gettext_lazy("文件名不合规"),
    quarantined.CATEGORY_REFUSED: gettext_lazy("不是普通文件（未读取）"),
    quarantined.CATEGORY_TOO_LARGE: gettext_lazy("文件过大"),
    quarantined.CATEGORY_MALFORMED: gettext_lazy("格式错误"),
    quarantined.CATEGORY_OTHER: gettext_lazy("其他"),
}
CATEGORY_ADVICE = {
    quarantined.CATEGORY_CONFLICT: gettext_lazy(
        "可能遭篡改或发送方数据被回滚。请停止放行，核对双方的批次记录并上报安全负责人。"
    ),
    quarantined.CATEGORY_CHAIN: gettext_lazy(
        "批次未接续上一个已应用批次。请核对双方的批次记录，查明原因前不要放行。"
    ),
    quarantined.CATEGORY_BAD_SIGNATURE: gettext_lazy(
        "文件在途中被改动或伪造。发送方会按原样重发；请检查边界网闸，不要放行此文件。"
    ),
    quarantined.CATEGORY_UNKNOWN_KEY: gettext_lazy(
        "发送方已换用新密钥而本区域尚未信任其公钥。确认公钥来源可靠并安装后，可放行重新校验。"
    ),
    quarantined.CATEGORY_WRONG_CHANNEL: gettext_lazy(
        "文件被投放到了错误的目录。请检查网闸的目录映射；此文件可丢弃。"
    ),
    quarantined.CATEGORY_HASH_MISMATCH: gettext_lazy(
        "消息内容与清单不符（传输损坏或篡改）。发送方会重发；此文件可丢弃。"
    ),
    quarantined.CATEGORY_TRUNCATED: gettext_lazy(
        "文件传输不完整。发送方会重发；请检查网闸和磁盘空间，此文件可丢弃。"
    ),
    quarantined.CATEGORY_SCHEMA: gettext_lazy(
        "本区域的程序版本过旧。请部署支持该消息版本的程序后放行。"
    ),
    quarantined.CATEGORY_NO_HANDLER: gettext_lazy(
        "本区域的程序版本缺少该消息的处理程序。请部署后放行。"
    ),
    quarantined.CATEGORY_ACK_MISMATCH: gettext_lazy(
        "回执不对应本区域发出的批次。请核对对方区域，此回执可丢弃。"
    ),
    quarantined.CATEGORY_DECRYPT: gettext_lazy(
        "本区域的解密密钥缺失或与发送方使用的不符。请核对加密密钥的分发后放行。"
    ),
    quarantined.CATEGORY_BAD_NAME: gettext_lazy(
        "摆渡程序不会写出这样的文件名，文件未被读取。请检查边界网闸的文件名规则；此文件可丢弃。"
    ),
    quarantined.CATEGORY_REFUSED: gettext_lazy(
        "符号链接、目录等不是普通文件，未被读取，也未跟随链接。请检查是谁放入了接收目录；此记录可丢弃。"
    ),
    quarantined.CATEGORY_TOO_LARGE: gettext_lazy(
        "文件超过大小上限，只保存了开头部分和整个文件的哈希值。请检查边界网闸；此记录可丢弃。"
    ),
}


def _ferry_operator(request: HttpRequest) -> StaffProfile:
    profile = staff_profile(request.user)
    if profile is None or not staff_may_operate_ferry(profile):
        raise Http404(_("页面不存在"))
    return profile


ALARM_LABELS = dict(Alarm.KIND_CHOICES)


def _alarm_text(alarm: Any) -> str:
    kind = getattr(alarm, "kind", None)
    if kind is None:
        return str(alarm)
    parts = [str(ALARM_LABELS.get(kind, kind))] + [
        str(getattr(alarm, name)) for name in ("channel", "detail") if getattr(alarm, name, "")
    ]
    count = getattr(alarm, "count", 1)
    text = " · ".join(parts)
    return f"{text} (×{count})" if isinstance(count, int) and count > 1 else text


def _item_context(item: quarantined.QuarantinedItem) -> dict[str, Any]:
    return {
        "item": item,
        "category_label": CATEGORY_LABELS.get(item.category, item.category),
        "advice": CATEGORY_ADVICE.get(item.category, ""),
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def ferry_home(request: HttpRequest) -> HttpResponse:
    """The page; a POST clears one of the open alarms it lists."""
    profile = _ferry_operator(request)
    if request.method == "POST":
        return _clear_alarm(request, profile)
    return _render_home(request, profile)


def _render_home(
    request: HttpRequest,
    profile: StaffProfile,
    *,
    alarm_error: str = "",
    error_alarm: int | None = None,
    reason: str = "",
    status: int = 200,
) -> HttpResponse:
    try:
        zone = zone_status(ZONE)
    finally:
        close_transports()
    return render(
        request,
        "workbench/ferry.html",
        {
            "profile": profile,
            "status": zone,
            "trusted_keys": sorted(zone.trusted_key_ids.items()),
            "retired_keys": sorted(zone.retired_key_ids.items()),
            "last_heartbeat": zone.last_heartbeat_received_at,
            "alarm_count": len(zone.open_alarms),
            "alarm_rows": [(alarm, _alarm_text(alarm)) for alarm in zone.open_alarms],
            "alarm_error": alarm_error,
            "error_alarm": error_alarm,
            "reason": reason,
            "min_reason": actions.REASON_MIN_LENGTH,
            "lag_in": zone.lag_in,
            "lag_out": zone.lag_out,
            "gap": zone.gap,
            "parked_list": zone.parked_batches,
            "rows": [_item_context(item) for item in quarantined.quarantined_batches(ZONE)],
        },
        status=status,
    )


def _clear_alarm(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    try:
        alarm_id = int(request.POST.get("alarm", ""))
    except ValueError as exc:
        raise Http404(_("页面不存在")) from exc
    reason = request.POST.get("reason", "")
    user = request.user

    def audit(result: actions.AlarmAction) -> None:
        audit_record(
            **audit_actor(user),
            action=f"ferry.alarm_{result.action}",
            object_type="ferry_alarm",
            object_id=str(result.alarm_id),
            purpose=result.reason,
            # Ids and counts only: the alarm's key can be a file name, whose hex digits the
            # audit log may take for a phone number.
            detail={
                "alarm_id": result.alarm_id,
                "kind": result.kind,
                "channel": result.channel,
                "count": result.count,
            },
        )

    try:
        result = actions.alarm_clear(
            zone=ZONE, alarm_id=alarm_id, actor=user.get_username(), reason=reason, on_done=audit
        )
    except errors.OperationError as exc:
        return _render_home(
            request,
            profile,
            alarm_error=exc.message,
            error_alarm=alarm_id,
            reason=reason,
            status=exc.status,
        )
    label = ALARM_LABELS.get(result.kind, result.kind)
    messages.success(request, _("已解除告警：%(alarm)s") % {"alarm": label})
    return redirect("workbench:ferry")


def _render_item(
    request: HttpRequest,
    profile: StaffProfile,
    quarantine_id: int,
    *,
    error: str = "",
    form: str = "",
    reason: str = "",
    status: int = 200,
) -> HttpResponse:
    try:
        item = quarantined.quarantined_batch(ZONE, quarantine_id)
    except errors.QuarantineNotFound as exc:
        raise Http404(_("未找到该隔离记录")) from exc
    return render(
        request,
        "workbench/ferry_quarantine.html",
        {
            "profile": profile,
            **_item_context(item),
            "error": error,
            "error_form": form,
            "reason": reason,
            "min_reason": actions.REASON_MIN_LENGTH,
        },
        status=status,
    )


@login_required
def quarantine_detail(request: HttpRequest, quarantine_id: int) -> HttpResponse:
    return _render_item(request, _ferry_operator(request), quarantine_id)


def _audit_object_id(result: actions.QuarantineAction) -> str:
    """The batch id a manifest claims when it is a well-formed UUID, else the file name when it
    fits the audit row, else the record id: all are untrusted text from the boundary."""
    try:
        return str(uuid.UUID(result.batch_id))
    except ValueError:
        pass
    longest = AuditEvent._meta.get_field("object_id").max_length or 0
    if result.file_name and len(result.file_name) <= longest:
        return result.file_name
    return f"quarantine-{result.quarantine_id}"


def _act(request: HttpRequest, quarantine_id: int, action: str) -> HttpResponse:
    profile = _ferry_operator(request)
    reason = request.POST.get("reason", "")
    user = request.user

    def audit(result: actions.QuarantineAction) -> None:
        audit_record(
            **audit_actor(user),
            action=f"ferry.quarantine_{result.action}",
            object_type="ferry_batch",
            object_id=_audit_object_id(result),
            purpose=result.reason,
            # Ids and counts only. The file name stays out: the audit log refuses any digit run
            # that looks like a phone number, which a UUID's hex can contain by chance.
            detail={
                "quarantine_id": result.quarantine_id,
                "channel": result.channel,
                "kind": result.kind,
                "category": result.category,
                "times_seen": result.times_seen,
                "size": result.size,
            },
        )

    run = (
        actions.quarantine_release
        if action == actions.ACTION_RELEASE
        else actions.quarantine_discard
    )
    try:
        result = run(
            zone=ZONE,
            quarantine_id=quarantine_id,
            actor=user.get_username(),
            reason=reason,
            on_done=audit,
        )
    except errors.QuarantineNotFound as exc:
        raise Http404(_("未找到该隔离记录")) from exc
    except errors.OperationError as exc:
        return _render_item(
            request,
            profile,
            quarantine_id,
            error=exc.message,
            form=action,
            reason=reason,
            status=exc.status,
        )
    finally:
        close_transports()
    if result.action == actions.ACTION_RELEASE:
        messages.success(
            request,
            _("已放行 %(file)s，接收方将重新校验。") % {"file": result.file_name},
        )
    else:
        messages.success(request, _("已丢弃 %(file)s。") % {"file": result.file_name})
    return redirect("workbench:ferry")


@login_required
@require_POST
def quarantine_release(request: HttpRequest, quarantine_id: int) -> HttpResponse:
    return _act(request, quarantine_id, actions.ACTION_RELEASE)


@login_required
@require_POST
def quarantine_discard(request: HttpRequest, quarantine_id: int) -> HttpResponse:
    return _act(request, quarantine_id, actions.ACTION_DISCARD)
