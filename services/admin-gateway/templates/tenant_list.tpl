{{%AUTOESCAPE context="HTML"}}
{{!
  The tenants and the form that creates one. CSRF; NOTICES; then either
  TENANTS_ERROR (a notices include) or TENANTS {TENANT {TENANT_ID, NAME,
  SUBDOMAIN, ACTIVE | INACTIVE, BILLING_PLAN, CREATED_AT}, once per tenant}.
}}
<h1>Tenants</h1>
{{>NOTICES}}
{{>TENANTS_ERROR}}
{{#TENANTS}}
  <table id="tenants">
    <tr><th>Name</th><th>Subdomain</th><th>Active</th><th>Plan</th><th>Created</th></tr>
    {{#TENANT}}
      <tr>
        <td><a href="/admin/tenants/{{TENANT_ID}}">{{NAME}}</a></td>
        <td>{{SUBDOMAIN}}</td>
        <td>{{#ACTIVE}}yes{{/ACTIVE}}{{#INACTIVE}}no{{/INACTIVE}}</td>
        <td>{{BILLING_PLAN}}</td>
        <td>{{CREATED_AT}}</td>
      </tr>
    {{/TENANT}}
  </table>
{{/TENANTS}}
<section>
  <h2>Create a tenant</h2>
  <form method="post" action="/admin/tenants" id="create-tenant">
    <input type="hidden" name="_csrf" value="{{CSRF}}">
    <label>Tenant id <input name="tenant_id" required></label>
    <label>Name <input name="name" required></label>
    <label>Subdomain <input name="subdomain" required></label>
    <label>Plan <select name="billing_plan"><option>standard</option><option>premium</option><option>enterprise</option></select></label>
    <button>Create tenant</button>
  </form>
</section>
