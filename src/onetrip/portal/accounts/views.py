"""Sign-in by SMS code and sign-out. Works without JavaScript: each step is a plain form post."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from onetrip.common.errors import ApplicationError
from onetrip.common.http import client_address
from onetrip.common.identifiers import IdentifierError, normalize_mobile
from onetrip.common.masking import mask_phone
from onetrip.portal.notify.selectors import sms_demo_inbox_url

from .auth import current_resident, resident_login, resident_logout
from .errors import AccountError
from .forms import CodeForm, PhoneForm
from .services import CODE_TTL, login_code_request, login_code_verify


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("portal_web:home")


def _masked(phone: str) -> str:
    try:
        return mask_phone(normalize_mobile(phone))
    except IdentifierError:
        return ""


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    if request.method == "GET" and current_resident(request) is not None:
        return HttpResponseRedirect(next_url)

    context: dict[str, object] = {
        "next": next_url,
        "step": "phone",
        "phone_form": PhoneForm(),
        "code_form": None,
        "sms_inbox_url": sms_demo_inbox_url(),
        "code_minutes": int(CODE_TTL.total_seconds() // 60),
    }
    action = request.POST.get("action") if request.method == "POST" else None

    if action == "verify":
        code_form = CodeForm(request.POST)
        context.update(step="code", code_form=code_form)
        if code_form.is_valid():
            try:
                resident = login_code_verify(
                    phone=code_form.cleaned_data["phone"], code=code_form.cleaned_data["code"]
                )
            except AccountError as exc:
                code_form.add_error("code" if exc.field == "code" else None, exc.message)
            else:
                resident_login(request, resident)
                return HttpResponseRedirect(next_url)
        context["masked_phone"] = _masked(request.POST.get("phone", ""))

    elif action in ("request", "resend"):
        phone_form = PhoneForm(request.POST)
        context["phone_form"] = phone_form
        if phone_form.is_valid():
            phone = phone_form.cleaned_data["phone"]
            try:
                login_code_request(phone=phone, client_ip=client_address(request))
            except ApplicationError as exc:
                if action == "resend" and exc.code != "phone_format":
                    context.update(
                        step="code",
                        code_form=CodeForm(initial={"phone": phone}),
                        masked_phone=_masked(phone),
                        resend_error=exc.message,
                    )
                else:
                    phone_form.add_error("phone", exc.message)
            else:
                context.update(
                    step="code",
                    code_form=CodeForm(initial={"phone": normalize_mobile(phone)}),
                    masked_phone=_masked(phone),
                    code_sent=True,
                )

    return render(request, "portal/accounts/login.html", context)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    resident_logout(request)
    return HttpResponseRedirect(reverse("portal_web:home"))
