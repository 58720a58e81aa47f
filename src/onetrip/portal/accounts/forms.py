"""Shape-only forms of the sign-in page; the rules live in services.py."""

from django import forms
from django.utils.translation import gettext_lazy as _


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        help_text=_("我们将向该号码发送6位数字验证码，首次登录将自动创建账户。"),
        error_messages={"required": _("请输入手机号码")},
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel", "size": 14}
        ),
    )


class CodeForm(forms.Form):
    phone = forms.CharField(max_length=20, widget=forms.HiddenInput)
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=10,
        help_text=_("请输入短信中的6位数字，5分钟内有效。"),
        error_messages={"required": _("请输入短信验证码")},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9]*",
                "size": 8,
            }
        ),
    )
