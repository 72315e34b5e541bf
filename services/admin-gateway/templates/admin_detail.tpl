{{%AUTOESCAPE context="HTML"}}
{{!
  One system admin and its tokens. CSRF; NOTICES; ADMIN_ID, NAME,
  CREATED_AT, CREATED_BY; ENABLED | DISABLED {AT}; SELF (the signed-in
  admin's own page: it mints API tokens here and cannot disable itself) |
  OTHER; then either TOKENS_ERROR (a notices include) or TOKENS {TOKEN
  {TOKEN_ID, KIND, PREFIX, CREATED_AT, EXPIRES_AT, LAST_USED_AT, LIVE |
  REVOKED {AT} }, once per token }.
}}
<h1>{{NAME}}</h1>
{{>NOTICES}}
<p>Admin <code id="admin-id">{{ADMIN_ID}}</code> &middot; created {{CREATED_AT}} by {{CREATED_BY}} &middot;{{BI_SPACE}}
  <span id="status">{{#ENABLED}}enabled{{/ENABLED}}{{#DISABLED}}disabled {{AT}}{{/DISABLED}}</span> &middot; <a href="/admin/admins">All admins</a></p>
{{#ENABLED}}
  {{#OTHER}}<p><a id="disable" href="/admin/admins/{{ADMIN_ID}}/disable">Disable this admin&hellip;</a></p>{{/OTHER}}
  {{#SELF}}<p>This is you. Another admin can disable your account; you cannot.</p>{{/SELF}}
{{/ENABLED}}
<section>
  <h2>Tokens</h2>
  {{>TOKENS_ERROR}}
  {{#TOKENS}}
    <table id="tokens">
      <tr><th>Id</th><th>Kind</th><th>Prefix</th><th>Created</th><th>Expires</th><th>Last used</th><th>Revoked</th><th></th></tr>
      {{#TOKEN}}
        <tr>
          <td>{{TOKEN_ID}}</td>
          <td>{{KIND}}</td>
          <td><code>{{PREFIX}}&hellip;</code></td>
          <td>{{CREATED_AT}}</td>
          <td>{{EXPIRES_AT}}</td>
          <td>{{LAST_USED_AT}}</td>
          <td>{{#LIVE}}no{{/LIVE}}{{#REVOKED}}{{AT}}{{/REVOKED}}</td>
          <td>
            {{#LIVE}}
              <form class="inline" method="post" action="/admin/admins/{{ADMIN_ID}}/tokens/{{TOKEN_ID}}/revoke">
                <input type="hidden" name="_csrf" value="{{CSRF}}"><button id="revoke-{{TOKEN_ID}}">Revoke</button>
              </form>
            {{/LIVE}}
          </td>
        </tr>
      {{/TOKEN}}
    </table>
  {{/TOKENS}}
  {{#SELF}}
    {{#ENABLED}}
      <form method="post" action="/admin/admins/{{ADMIN_ID}}/tokens" id="create-token">
        <input type="hidden" name="_csrf" value="{{CSRF}}">
        <button>Create API token</button>
      </form>
    {{/ENABLED}}
  {{/SELF}}
  {{#OTHER}}<p>An admin mints API tokens only for itself.</p>{{/OTHER}}
</section>
