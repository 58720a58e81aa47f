"""The portal zone's ferry tables: concrete forms of the abstract ferry models, routed to the
portal database by their app label."""

from onetrip.ferry import models as ferry


class OutboxMessage(ferry.OutboxMessage):
    class Meta(ferry.OutboxMessage.Meta):
        verbose_name = "发件箱消息 outbox message"


class SentBatch(ferry.SentBatch):
    class Meta(ferry.SentBatch.Meta):
        verbose_name = "已发批次 sent batch"
        verbose_name_plural = "已发批次 sent batches"


class InboxMessage(ferry.InboxMessage):
    class Meta(ferry.InboxMessage.Meta):
        verbose_name = "收件箱消息 inbox message"


class ChannelState(ferry.ChannelState):
    class Meta(ferry.ChannelState.Meta):
        verbose_name = "通道状态 channel state"


class ReceivedBatch(ferry.ReceivedBatch):
    class Meta(ferry.ReceivedBatch.Meta):
        verbose_name = "已收批次 received batch"
        verbose_name_plural = "已收批次 received batches"


class QuarantinedBatch(ferry.QuarantinedBatch):
    class Meta(ferry.QuarantinedBatch.Meta):
        verbose_name = "隔离批次 quarantined batch"
        verbose_name_plural = "隔离批次 quarantined batches"


class ParkedBatch(ferry.ParkedBatch):
    class Meta(ferry.ParkedBatch.Meta):
        verbose_name = "暂存批次 parked batch"
        verbose_name_plural = "暂存批次 parked batches"


class Alarm(ferry.Alarm):
    class Meta(ferry.Alarm.Meta):
        verbose_name = "摆渡告警 ferry alarm"


class FerryEvent(ferry.FerryEvent):
    class Meta(ferry.FerryEvent.Meta):
        verbose_name = "摆渡审计 ferry event"
