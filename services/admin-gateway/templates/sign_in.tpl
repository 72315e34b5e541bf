{{%AUTOESCAPE context="HTML"}}
{{! The sign-in form. CSRF (the form's signed token); NOTICES. }}
<h1>Sign in</h1>
{{>NOTICES}}
<form method="post" action="/admin/login">
  <input type="hidden" name="_csrf" value="{{CSRF}}">
  <label>Username <input name="username" id="username" autocomplete="username"></label>
  <label>Password <input name="password" id="password" type="password" autocomplete="current-password"></label>
  <button id="login">Sign in</button>
</form>
