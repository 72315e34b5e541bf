{{%AUTOESCAPE context="HTML"}}
{{!
  A page of a tenant's audit log, newest first. TENANT_ID, NAME; EVENT
  {OCCURRED_AT, OPERATION, PRINCIPAL_ID, SUCCEEDED | FAILED, DETAILS}, once
  per event; OLDER {PAGE_TOKEN} when there are older events.
}}
<h1>Audit log &middot; {{NAME}}</h1>
<p><a href="/admin/tenants/{{TENANT_ID}}">Back to the tenant</a></p>
<table id="audit">
  <tr><th>When</th><th>Operation</th><th>By</th><th>Outcome</th><th>Details</th></tr>
  {{#EVENT}}
    <tr>
      <td>{{OCCURRED_AT}}</td>
      <td>{{OPERATION}}</td>
      <td>{{PRINCIPAL_ID}}</td>
      <td>{{#SUCCEEDED}}ok{{/SUCCEEDED}}{{#FAILED}}failed{{/FAILED}}</td>
      <td><code>{{DETAILS}}</code></td>
    </tr>
  {{/EVENT}}
</table>
{{#OLDER}}<p><a id="older" href="/admin/tenants/{{TENANT_ID}}/audit?page_token={{PAGE_TOKEN}}">Older &rarr;</a></p>{{/OLDER}}
