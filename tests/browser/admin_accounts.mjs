// Drives the admin UI's "Admins" page in headless Chromium (Debian's, through
// playwright-core): the signed-in admin opens Admins from the navigation, is
// told which field is wrong, creates an admin; that admin signs in with its
// own password in a fresh browser context, creates an API token (shown once),
// uses it against the REST API, revokes it and sees 403. A screenshot of
// each page goes to SCREENSHOT_DIR.
// Env: ADMIN_URL, ADMIN_USER, ADMIN_PASSWORD, SCREENSHOT_DIR.
import assert from 'node:assert/strict';
import { base, finish, launch, shots, step } from './harness.mjs';

const newAdmin = 'browser-admin';
const newPassword = 'browser-admin-password';

async function restStatus(token) {
  const response = await fetch(`${base}/system/tenants`, { headers: { 'X-System-Token': token } });
  return response.status;
}

async function signIn(page, user, password) {
  await page.goto(`${base}/admin/login`);
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('#login');
  await page.waitForURL(`${base}/admin/tenants`);
}

const browser = await launch();
const page = await (await browser.newContext()).newPage();
let other;  // the new admin's own browser context
const shot = (p, name) => p.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
let token = '';

try {
  await step('signs in and opens Admins from the navigation', async () => {
    await signIn(page, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD);
    await page.click('#nav-admins');
    await page.waitForURL(`${base}/admin/admins`);
    assert.match(await page.textContent('#admins'), new RegExp(process.env.ADMIN_USER));
    await shot(page, '01-admins');
  });

  await step('a short password is named next to its field', async () => {
    await page.fill('#create-admin input[name=admin_id]', newAdmin);
    await page.fill('#create-admin input[name=name]', 'Browser Admin');
    await page.fill('#create-admin input[name=password]', 'short');
    await page.click('#create-admin button');
    assert.equal(await page.textContent('#password-error'), 'password: 12 to 1024 bytes');
    assert.equal(await page.inputValue('#create-admin input[name=admin_id]'), newAdmin);
    assert.equal(await page.inputValue('#create-admin input[name=password]'), '');
    await shot(page, '02-password-error');
  });

  await step('creates an admin', async () => {
    await page.fill('#create-admin input[name=password]', newPassword);
    await page.click('#create-admin button');
    assert.equal((await page.textContent('#notice')).trim(), 'Admin created');
    assert.equal(await page.textContent('#admin-id'), newAdmin);
    await page.click('#nav-admins');
    assert.match(await page.textContent('#admins'),
                 new RegExp(`${newAdmin}\\s*Browser Admin.*admin:${process.env.ADMIN_USER}`));
    await shot(page, '03-admin-created');
  });

  await step('the new admin signs in with its own password in a fresh context', async () => {
    other = await (await browser.newContext()).newPage();
    await signIn(other, newAdmin, newPassword);
    await other.click('#nav-admins');
    await other.click(`a[href="/admin/admins/${newAdmin}"]`);
    assert.equal(await other.textContent('#admin-id'), newAdmin);
    await shot(other, '04-own-page');
  });

  await step('creates an API token, shown once', async () => {
    await other.click('#create-token button');
    token = (await other.textContent('#token')).trim();
    assert.match(token, /^adcp_[A-Za-z0-9_-]{43}$/);
    await shot(other, '05-token-created');
    await other.goto(`${base}/admin/admins/${newAdmin}`);
    assert.ok(!(await other.content()).includes(token));
  });

  await step('the token works against the REST API', async () => {
    assert.equal(await restStatus(token), 200);
  });

  await step('revokes it and the REST API answers 403', async () => {
    const tokenId = await other.$$eval('#tokens tr', (rows, prefix) => {
      const row = rows.find((r) => r.cells[1]?.textContent === 'api' &&
                                   r.cells[2]?.textContent.startsWith(prefix));
      return row ? row.cells[0].textContent : '';
    }, token.slice(0, 12));
    assert.match(tokenId, /^sat_/);
    await other.click(`#revoke-${tokenId}`);
    assert.equal((await other.textContent('#notice')).trim(), 'Token revoked');
    await shot(other, '06-token-revoked');
    assert.equal(await restStatus(token), 403);
  });
} catch {
  // reported by step()
} finally {
  await browser.close();
}
finish(7);
