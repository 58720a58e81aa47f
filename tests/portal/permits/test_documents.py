"""Uploads of a permit application (DOC-4, HZ-7, DESIGN §8): each bad file is refused with its
own message and leaves no row and no file; a good one is stored encrypted, re-encoded; a new
file for an item replaces the old one, whose file goes after the commit."""

from __future__ import annotations

import pytest

from onetrip.common.filestore import file_get
from onetrip.portal.permits.applications import (
    MAX_UPLOADS_PER_APPLICATION,
    clean_file_name,
    permit_document_upload,
)
from onetrip.portal.permits.errors import ApplicationLimitReached
from onetrip.portal.permits.models import PermitApplication, PermitDocument
from onetrip.portal.permits.uploads import UploadError

from .permit_helpers import PDF, RENTED, bad_uploads, draft, jpeg, stored_files, upload

pytestmark = pytest.mark.django_db(databases=["default", "police"])


@pytest.mark.parametrize(
    ("case", "item", "file_name", "content", "code"),
    bad_uploads(),
    ids=[case[0] for case in bad_uploads()],
)
def test_doc4_a_bad_upload_gets_its_own_message_and_leaves_nothing(
    resident, files_dir, case, item, file_name, content, code
):
    application = draft(resident, form=RENTED, photo=False)
    with pytest.raises(UploadError) as info:
        upload(resident, application, item, content, file_name)
    assert info.value.code == code
    assert info.value.message_zh and info.value.message_en
    assert not PermitDocument.objects.exists()
    assert stored_files(files_dir) == []
    assert PermitApplication.objects.get(pk=application.pk).uploads == 0


def test_doc4_a_good_photo_is_stored_encrypted_and_re_encoded(resident, files_dir):
    application = draft(resident, photo=False)
    original = jpeg()
    document = upload(resident, application, "photo", original, "我的照片.jpg")
    assert (document.item, document.media_type, document.revision) == ("photo", "image/jpeg", 1)
    assert (document.width, document.height, document.warnings) == (358, 441, [])
    assert document.original_name == "我的照片.jpg"
    [on_disk] = stored_files(files_dir)
    assert on_disk.name == document.stored_name
    assert original not in on_disk.read_bytes() and b"JFIF" not in on_disk.read_bytes()
    stored = file_get(zone="portal", name=document.stored_name)
    assert stored != original and stored.startswith(b"\xff\xd8")


def test_doc4_a_photo_on_a_coloured_background_is_kept_with_a_warning(resident, files_dir):
    application = draft(resident, photo=False)
    document = upload(resident, application, "photo", jpeg(colour=(40, 90, 200)))
    assert document.warnings == ["photo_background"]


def test_a_new_file_replaces_the_old_one_whose_file_goes_after_the_commit(
    resident, files_dir, django_capture_on_commit_callbacks
):
    application = draft(resident, photo=False)
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(resident, application, "photo", jpeg())
    with django_capture_on_commit_callbacks(execute=False) as pending:
        second = upload(resident, application, "photo", jpeg(colour=(250, 250, 250)))
    first.refresh_from_db()
    assert (first.active, second.active) == (False, True)
    assert first.replaced_at is not None
    assert len(stored_files(files_dir)) == 2  # the old file stays until the commit
    for callback in pending:
        callback()
    assert [p.name for p in stored_files(files_dir)] == [second.stored_name]


def test_doc3_only_items_on_the_applications_list_are_taken(resident, files_dir):
    application = draft(resident, photo=False)  # owned housing: no lease on the list
    with pytest.raises(Exception) as info:
        upload(resident, application, "C23", PDF)
    assert info.value.code == "item_not_listed"
    with pytest.raises(Exception) as info:
        upload(resident, application, "A9", PDF)  # the online form is never uploaded
    assert info.value.code == "item_not_listed"
    assert stored_files(files_dir) == []
    assert upload(resident, application, "A8", jpeg()).item == "photo"
    assert upload(resident, application, "c19", PDF).item == "C19"  # fetched, may be given


def test_uploads_per_application_are_counted_in_the_database(resident, files_dir):
    application = draft(resident, photo=False)
    PermitApplication.objects.filter(pk=application.pk).update(uploads=MAX_UPLOADS_PER_APPLICATION)
    with pytest.raises(ApplicationLimitReached) as info:
        permit_document_upload(
            resident=resident, reference=application.reference, item="photo", content=jpeg()
        )
    assert info.value.code == "too_many_uploads"
    assert not PermitDocument.objects.exists()
    assert stored_files(files_dir) == []


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        ("C:\\Users\\张三\\租赁合同.pdf", "租赁合同.pdf"),
        ("../../etc/passwd", "passwd"),
        ("合同😀\x00\u200b.pdf", "合同.pdf"),
        ("a" * 150 + ".jpeg", "a" * 95 + ".jpeg"),
    ],
)
def test_a_file_name_is_cleaned_before_it_is_kept(name, cleaned):
    assert clean_file_name(name) == cleaned
    assert len(clean_file_name(name)) <= 100
