{{%AUTOESCAPE context="HTML"}}
{{!
  One tenant: its facts, (de)activation, its config editor and its
  principals. CSRF; NOTICES; TENANT_ID, NAME, SUBDOMAIN, BILLING_PLAN,
  ACTIVE | INACTIVE; CONFIG (the editor's text); then either
  PRINCIPALS_ERROR (a notices include) or PRINCIPALS {PRINCIPAL
  {PRINCIPAL_ID, NAME, TOKEN_PREFIX, LAST_USED {AT} | NEVER_USED,
  LIVE | REVOKED}, once per principal}.
}}
<h1>{{NAME}}</h1>
{{>NOTICES}}
<p>Tenant <code>{{TENANT_ID}}</code> &middot; subdomain <code>{{SUBDOMAIN}}</code> &middot; plan {{BILLING_PLAN}} &middot;{{BI_SPACE}}
  <span id="status">{{#ACTIVE}}active{{/ACTIVE}}{{#INACTIVE}}inactive{{/INACTIVE}}</span> &middot; <a href="/admin/tenants/{{TENANT_ID}}/audit">Audit log</a></p>
<form method="post" action="/admin/tenants/{{TENANT_ID}}/active">
  <input type="hidden" name="_csrf" value="{{CSRF}}">
  <input type="hidden" name="is_active" value="{{#ACTIVE}}false{{/ACTIVE}}{{#INACTIVE}}true{{/INACTIVE}}">
  <button id="toggle-active">{{#ACTIVE}}Deactivate{{/ACTIVE}}{{#INACTIVE}}Reactivate{{/INACTIVE}}</button>
</form>
<section>
  <h2>Configuration</h2>
  <form method="post" action="/admin/tenants/{{TENANT_ID}}/config" id="config-form">
    <input type="hidden" name="_csrf" value="{{CSRF}}">
    {{! :pre_escape escapes as :h does but keeps the text's newlines. }}
    <textarea name="config" id="config" rows="18">{{CONFIG:pre_escape}}</textarea>
    <button id="save-config">Save configuration</button>
  </form>
</section>
<section>
  <h2>Principals</h2>
  {{>PRINCIPALS_ERROR}}
  {{#PRINCIPALS}}
    <table id="principals">
      <tr><th>Id</th><th>Name</th><th>Token</th><th>Last used</th><th>State</th><th></th></tr>
      {{#PRINCIPAL}}
        <tr>
          <td>{{PRINCIPAL_ID}}</td>
          <td>{{NAME}}</td>
          <td><code>{{TOKEN_PREFIX}}&hellip;</code></td>
          <td>{{#LAST_USED}}{{AT}}{{/LAST_USED}}{{#NEVER_USED}}never{{/NEVER_USED}}</td>
          <td>{{#LIVE}}live{{/LIVE}}{{#REVOKED}}revoked{{/REVOKED}}</td>
          <td>
            {{#LIVE}}
              <form class="inline" method="post" action="/admin/tenants/{{TENANT_ID}}/principals/{{PRINCIPAL_ID}}/rotate">
                <input type="hidden" name="_csrf" value="{{CSRF}}"><button>Rotate token</button>
              </form> <form class="inline" method="post" action="/admin/tenants/{{TENANT_ID}}/principals/{{PRINCIPAL_ID}}/revoke">
                <input type="hidden" name="_csrf" value="{{CSRF}}"><button>Revoke</button>
              </form>
            {{/LIVE}}
          </td>
        </tr>
      {{/PRINCIPAL}}
    </table>
  {{/PRINCIPALS}}
  <form method="post" action="/admin/tenants/{{TENANT_ID}}/principals" id="create-principal">
    <input type="hidden" name="_csrf" value="{{CSRF}}">
    <label>Name <input name="name" required></label>
    <label>Principal id (optional) <input name="principal_id"></label>
    <button>Create principal</button>
  </form>
</section>
