"""The station queue's lines, written by `{% station_queue_rows %}` rather than a template loop:
the same markup the loop wrote, every value escaped as autoescape escapes it."""

from __future__ import annotations

from django.template import engines

from onetrip.police.workbench.templatetags.station_queue import station_queue_rows

# The loop the queue page had, kept here as the specification of the markup.
LOOP = """{% for r in rows %}<tr{% if r.overdue %} class="overdue"{% endif %}>
<td><a href="{{ r.url }}">{{ r.reference }}</a>{% if r.walk_in %} <span class="badge">{{ r.channel }}</span>{% endif %}</td>
<td>{{ r.kind }}</td><td>{{ r.name }}</td><td>{{ r.id_number }}</td><td>{{ r.status }}{% if r.task %} · {{ r.task }}{% endif %}</td>
<td>{{ r.taken_by }}</td><td>{{ r.waiting }}</td>
<td>{% if r.due_on %}{{ r.due_on }} <strong>{{ r.clock }}</strong>{% else %}—{% endif %}</td>
</tr>{% endfor %}"""  # noqa: E501


def _row(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "reference": "PA2611270000001",
        "url": "/station/PA2611270000001/",
        "kind": "首次申领",
        "name": "张*",
        "id_number": "3301**********123X",
        "status": "预审通过",
        "task": "待受理",
        "taken_by": "—",
        "waiting": "3天",
        "due_on": "2026-12-20",
        "clock": "剩18天",
        "overdue": False,
        "channel": "网上申请",
        "walk_in": False,
    }
    row.update(changes)
    return row


def test_the_lines_are_the_markup_the_template_loop_wrote():
    rows = [
        _row(),
        _row(overdue=True, clock="已超期2天", walk_in=True, channel="窗口录入"),
        _row(task="", due_on="", clock="", waiting=""),
        _row(taken_by="clerk_beishan"),
    ]
    expected = engines["django"].from_string(LOOP).render({"rows": rows})
    assert station_queue_rows(rows) == expected


def test_every_value_is_escaped():
    hostile = "<script>\"&'"
    row = _row(**{k: hostile for k in ("url", "reference", "kind", "name", "id_number")})
    row.update(status=hostile, task=hostile, taken_by=hostile, waiting=hostile)
    row.update(due_on=hostile, clock=hostile, walk_in=True, channel=hostile)
    html = str(station_queue_rows([row]))
    assert "<script>" not in html and hostile not in html
    assert html == engines["django"].from_string(LOOP).render({"rows": [row]})


def test_no_rows_no_lines():
    assert station_queue_rows([]) == ""
