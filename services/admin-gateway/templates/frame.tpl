{{%AUTOESCAPE context="HTML"}}
{{!
  Every page of the system admin UI. TITLE; BRAND {COLOR} (the tenant's
  brand colour); LOGO {URL}; LOGOUT {CSRF} (a signed-in session's log-out
  form); BODY, the page's own template.
}}
<!doctype html><html><head><meta charset="utf-8"><title>{{TITLE}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#f6f7f9}
header{background:var(--brand,#1f2937);color:#fff;padding:12px 24px;display:flex;align-items:center;gap:16px}
header a{color:#fff}header img{height:32px}
main{padding:24px;max-width:1100px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #ddd;padding:6px 8px;text-align:left;font-size:14px}
.notice{background:#e7f6ec;border:1px solid #8bc79f;padding:8px 12px;margin:12px 0}
.error{background:#fdecea;border:1px solid #e6a19a;padding:8px 12px;margin:12px 0}
.token{font-family:monospace;background:#fff8dc;padding:4px 8px;word-break:break-all}
textarea{width:100%;font-family:monospace;font-size:13px}
form.inline{display:inline}
section{background:#fff;padding:12px 16px;margin:16px 0;border:1px solid #e3e3e3}
label{display:inline-block;margin:4px 12px 4px 0}
.field-error{color:#b3261e;margin-right:12px}
</style>
{{#BRAND}}<style>:root{--brand:{{COLOR}}}</style>{{/BRAND}}
</head><body>
<header>
  {{#LOGO}}<img alt="logo" src="{{URL}}">{{/LOGO}}
  <strong>AdCP sales agent &middot; system admin</strong> <a href="/admin/tenants">Tenants</a> <a href="/admin/admins" id="nav-admins">Admins</a>
  {{#LOGOUT}}
    <form class="inline" method="post" action="/admin/logout">
      <input type="hidden" name="_csrf" value="{{CSRF}}"><button id="logout">Log out</button>
    </form>
  {{/LOGOUT}}
</header>
<main>{{>BODY}}</main>
</body></html>
