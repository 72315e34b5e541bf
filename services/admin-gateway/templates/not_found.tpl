{{%AUTOESCAPE context="HTML"}}
<p>Not found.</p>
