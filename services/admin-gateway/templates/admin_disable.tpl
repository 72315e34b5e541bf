{{%AUTOESCAPE context="HTML"}}
{{!
  Asks before disabling an admin. CSRF; ADMIN_ID, NAME.
}}
<h1>Disable {{NAME}}?</h1>
<p>Admin <code>{{ADMIN_ID}}</code> will no longer sign in, and every one of its API tokens and sessions is revoked at once. This cannot be undone.</p>
<form method="post" action="/admin/admins/{{ADMIN_ID}}/disable" id="confirm-disable">
  <input type="hidden" name="_csrf" value="{{CSRF}}">
  <input type="hidden" name="confirm_admin_id" value="{{ADMIN_ID}}">
  <button id="confirm">Disable {{ADMIN_ID}}</button> <a href="/admin/admins/{{ADMIN_ID}}">Cancel</a>
</form>
