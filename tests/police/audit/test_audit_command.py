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


def test_verify_an_intact_anchored_chain_exits_0(append, capsys):
    append(4)
    assert run(capsys, "anchor")[0] == 0
    append(1)
    code, out, err = run(capsys, "verify")
    assert code == 0
    assert "审计链完整 / audit chain intact: 5 events" in out
    assert "sequences 1–5 chained with HMAC-SHA256, key ids test-1" in out
    assert "1 checkpoints in" in out
    assert "last at sequence 4" in out
    assert "1 later events are protected by the key alone" in out
    assert "legacy" not in out
    assert err == ""


def test_verify_without_an_anchor_file_passes_with_a_warning(append, capsys, anchor_file):
    append(2)
    code, out, err = run(capsys, "verify")
    assert code == 0
    assert "audit chain intact: 2 events" in out
    assert f"no anchor file at {anchor_file}" in err


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


def test_anchor_writes_one_checkpoint_and_says_so(append, capsys, anchor_file):
    append(3)
    code, out, _ = run(capsys, "anchor")
    assert code == 0
    assert "已锚定 / anchored: sequence 3 hash" in out
    assert "(key test-1)" in out
    assert len(anchor_file.read_bytes().splitlines()) == 1


def test_anchor_refuses_a_broken_chain(append, raw_sql, without_triggers):
    append(3)
    raw_sql("UPDATE police_audit_auditevent SET actor = %s WHERE sequence = 3", ["nobody"])
    with pytest.raises(CommandError, match="anchoring refused: chain broken at sequence 3"):
        call_command("audit", "anchor")


def test_the_anchor_loop_logs_a_refusal_and_carries_on(append, forge, monkeypatch, caplog):
    from onetrip.police.audit.management.commands import audit

    append(2)
    call_command("audit", "anchor")
    forge(1, purpose="改写")
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(audit.time, "sleep", sleep)
    with pytest.raises(KeyboardInterrupt):
        call_command("audit", "anchor", "--every", "300")
    assert sleeps == [300, 300]
    refusals = [r for r in caplog.records if "event=audit_anchor_refused" in r.getMessage()]
    assert len(refusals) == 2


def test_verify_reports_a_rewrite_caught_by_an_anchor(append, forge, capsys):
    append(4)
    run(capsys, "anchor")
    forge(2, purpose="改写")
    code, out, err = run(capsys, "verify")
    assert code == 1
    assert "audit chain broken at sequence 4: anchor mismatch" in err
    assert "intact" not in out


def test_verify_reports_a_bad_anchor_file_without_a_sequence(append, capsys, anchor_file):
    append(2)
    run(capsys, "anchor")
    anchor_file.write_bytes(anchor_file.read_bytes().replace(b'"v":1', b'"v":1 '))
    code, _, err = run(capsys, "verify")
    assert code == 1
    assert "audit chain broken after 2 events: anchor file" in err
    assert "line 1: not in canonical form" in err


def test_verify_warns_about_the_published_development_key(append, capsys, settings):
    settings.AUDIT_KEYS = "dev-public:COMwNISRw3DUhY1gidNoMRGhPz5LsKU5QNQeKJrVg5g="
    append()
    code, _, err = run(capsys, "verify")
    assert code == 0
    assert "published development key" in err


def test_verify_without_a_key_fails_cleanly(settings):
    settings.AUDIT_KEYS = ""
    with pytest.raises(CommandError, match="audit key: no audit key configured"):
        call_command("audit", "verify")


def test_keygen_prints_an_entry_the_settings_accept(capsys):
    from onetrip.common.audit_chain import parse_keys

    code, out, err = run(capsys, "keygen")
    assert code == 0
    keys = parse_keys(out.strip())
    ((key_id, key),) = keys.items()
    assert key_id.startswith("audit-")
    assert len(key) == 32
    assert "put this entry first" in err
