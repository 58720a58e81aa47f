"""`onetrip --zone police audit verify` exits 0 on an intact chain and 1 on a broken one."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def run(capsys, *args):
    try:
        call_command("audit", *args)
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    out, err = capsys.readouterr()
    return code, out, err


def test_verify_an_intact_chain_exits_0(append, capsys):
    append(4)
    code, out, err = run(capsys, "verify")
    assert code == 0
    assert "审计链完整 / audit chain intact: 4 events" in out
    assert err == ""


def test_verify_an_empty_chain_exits_0(capsys):
    code, out, _ = run(capsys, "verify")
    assert code == 0
    assert "audit chain intact: 0 events" in out


def test_verify_a_tampered_chain_exits_1_naming_the_sequence(
    append, raw_sql, without_triggers, capsys
):
    append(4)
    raw_sql("UPDATE police_audit_auditevent SET actor = %s WHERE sequence = 2", ["nobody"])
    code, out, err = run(capsys, "verify")
    assert code == 1
    assert "audit chain broken at sequence 2: hash mismatch" in err
    assert "intact" not in out


def test_verify_a_chain_with_a_deleted_row_exits_1(append, raw_sql, without_triggers, capsys):
    append(4)
    raw_sql("DELETE FROM police_audit_auditevent WHERE sequence = 3")
    code, _, err = run(capsys, "verify")
    assert code == 1
    assert "sequence 3: sequence gap" in err


def test_verify_warns_when_the_triggers_are_missing(append, without_triggers, capsys):
    append()
    code, out, err = run(capsys, "verify")
    assert code == 0
    assert "triggers are missing" in err
    assert "intact: 1 events" in out


def test_the_command_needs_a_subcommand():
    with pytest.raises(CommandError):
        call_command("audit")
