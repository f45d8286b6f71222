"""``GET /join?t=<join token>``: the public page a store's join QR code opens.

It needs no key: the token names the merchant and the store and is checked against the
merchant's ``join_qr`` secret. The page shows the store and a phone + code form that calls
``POST /api/v1/auth/otp`` and ``POST /api/v1/auth/token`` (which signs the customer up as a
member acquired by that store). Nothing is written here: a merchant that never issued a join
code has no secret, and every token for it is refused.
"""

from __future__ import annotations

import json
from html import escape
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from omniloop.deps import UowDep
from omniloop.locations.models import Location
from omniloop.members.join import issued_join_token_in
from omniloop.merchants.models import Merchant
from omniloop.observability import API_PREFIX

router = APIRouter(tags=["members"], include_in_schema=False)

_NO_STORE_CACHE = {"Cache-Control": "no-store", "X-Frame-Options": "DENY"}


@router.get("/join", response_class=HTMLResponse)
async def join_page(
    uow: UowDep, t: Annotated[str | None, Query(max_length=512)] = None
) -> HTMLResponse:
    """The sign-up page of the store a join QR code names (404 page for a bad code)."""
    found = await _store_of(uow, t) if t else None
    if found is None:
        return HTMLResponse(_INVALID, status_code=404, headers=_NO_STORE_CACHE)
    merchant_name, store_name, merchant_id = found
    config = json.dumps(
        {"merchant_id": merchant_id, "join_token": t, "api": API_PREFIX}, ensure_ascii=False
    ).replace("</", "<\\/")
    page = (
        _PAGE.replace("{{merchant}}", escape(merchant_name))
        .replace("{{store}}", escape(store_name))
        .replace("{{config}}", config)
    )
    return HTMLResponse(page, headers=_NO_STORE_CACHE)


async def _store_of(uow: UowDep, token: str) -> tuple[str, str, str] | None:
    """(merchant name, store name, merchant id) of a genuine token of an active store."""
    async with uow.read_only():
        session = uow.session
        issued = await issued_join_token_in(session, token)
        if issued is None:
            return None
        merchant_id, location = issued
        store = await session.get(Location, (merchant_id, location))
        merchant = await session.get(Merchant, merchant_id)
        if store is None or not store.active or merchant is None:
            return None
        return merchant.name, store.name, str(merchant_id)


_STYLE = """
body{font-family:-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:0;
background:#f6f6f4;color:#222}main{max-width:26rem;margin:0 auto;padding:2rem 1.25rem}
h1{font-size:1.4rem;margin:.2rem 0}p.m{color:#666;margin:0}form{margin-top:1.5rem}
label{display:block;margin:1rem 0 .3rem}input,button{font-size:1.1rem;width:100%;
box-sizing:border-box;padding:.7rem;border-radius:.5rem;border:1px solid #bbb}
button{background:#1f6f50;color:#fff;border:0;margin-top:1rem}button:disabled{opacity:.5}
#msg{margin-top:1rem;min-height:1.5rem}.ok{color:#1f6f50}.err{color:#b00020}
"""

_INVALID = f"""<!doctype html><html lang="zh"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Invalid code</title><style>{_STYLE}</style></head><body><main>
<h1>This QR code is not valid</h1><p class="m">二维码无效，请向店员索取新的二维码。</p>
</main></body></html>"""

_PAGE = (
    """<!doctype html><html lang="zh"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{store}} · {{merchant}}</title><style>"""
    + _STYLE
    + """</style></head><body><main>
<p class="m">{{merchant}}</p><h1>{{store}}</h1>
<p>成为会员 · Become a member</p>
<form id="phone-form"><label for="phone">手机号 Phone</label>
<input id="phone" name="phone" type="tel" autocomplete="tel" required>
<button id="send" type="submit">获取验证码 Send code</button></form>
<form id="code-form" hidden><label for="code">验证码 Code</label>
<input id="code" name="code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" required>
<button id="verify" type="submit">加入 Join</button></form>
<p id="msg" role="status"></p>
<script id="join-config" type="application/json">{{config}}</script>
<script>
const cfg = JSON.parse(document.getElementById("join-config").textContent);
const msg = document.getElementById("msg");
const say = (text, ok) => { msg.textContent = text; msg.className = ok ? "ok" : "err"; };
async function call(path, body) {
  const r = await fetch(cfg.api + path, {method: "POST",
    headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(data.detail || ("error " + r.status));
  return data;
}
document.getElementById("phone-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const button = document.getElementById("send"); button.disabled = true;
  try {
    await call("/auth/otp", {merchant_id: cfg.merchant_id,
      phone: document.getElementById("phone").value});
    document.getElementById("code-form").hidden = false;
    say("验证码已发送 Code sent", true);
  } catch (err) { say(err.message, false); }
  finally { button.disabled = false; }
});
document.getElementById("code-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const button = document.getElementById("verify"); button.disabled = true;
  try {
    const token = await call("/auth/token", {merchant_id: cfg.merchant_id,
      phone: document.getElementById("phone").value,
      code: document.getElementById("code").value, channel: "web",
      join_token: cfg.join_token});
    sessionStorage.setItem("omniloop_customer_token", token.access_token);
    document.getElementById("phone-form").hidden = true;
    document.getElementById("code-form").hidden = true;
    say("欢迎加入！Welcome, you are a member.", true);
  } catch (err) { say(err.message, false); button.disabled = false; }
});
</script></main></body></html>"""
)
