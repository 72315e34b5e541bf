// Drives the admin web UI in headless Chromium (Debian's, through
// playwright-core): sign in, create a tenant, edit its config (invalid JSON,
// an invalid config, then a valid one), create a principal, deactivate the tenant,
// read the audit log, check that a form post without the CSRF token is
// refused, sign out. (An inactive tenant's principals cannot be managed:
// deactivation stops every call for the tenant, admin calls included.) A screenshot of each page goes to SCREENSHOT_DIR.
// Env: ADMIN_URL, ADMIN_USER, ADMIN_PASSWORD, SYSTEM_TOKEN, SCREENSHOT_DIR.
import assert from 'node:assert/strict';
import { base, finish, launch, shots, step } from './harness.mjs';

async function systemGet(path) {
  const response = await fetch(base + path, { headers: { 'X-System-Token': process.env.SYSTEM_TOKEN } });
  return { status: response.status, body: await response.json() };
}

const browser = await launch();
const page = await (await browser.newContext()).newPage();
const shot = (name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
const invalidJson = '{"features": {"max_daily_budget": 5,}';
const invalidConfig = '{"features": {"max_daily_budget": "lots"}}';

try {
  await step('signs in', async () => {
    await page.goto(`${base}/admin/tenants`);
    assert.match(page.url(), /\/admin\/login$/);
    await shot('01-login');
    await page.fill('#username', process.env.ADMIN_USER);
    await page.fill('#password', process.env.ADMIN_PASSWORD);
    await page.click('#login');
    await page.waitForURL(`${base}/admin/tenants`);
    await shot('02-tenants');
  });

  await step('creates a tenant and shows its admin token once', async () => {
    await page.fill('#create-tenant input[name=tenant_id]', 'browsertest');
    await page.fill('#create-tenant input[name=name]', 'Browser Test Media');
    await page.fill('#create-tenant input[name=subdomain]', 'browsertest');
    await page.selectOption('#create-tenant select[name=billing_plan]', 'premium');
    await page.click('#create-tenant button');
    assert.match(await page.textContent('#token'), /^adcp_[A-Za-z0-9_-]{43}$/);
    await shot('03-tenant-created');
    const { status, body } = await systemGet('/system/tenants/browsertest');
    assert.equal(status, 200);
    assert.equal(body.billing_plan, 'premium');
  });

  await step('invalid JSON shows an error and keeps the text', async () => {
    await page.fill('#config', invalidJson);
    await page.click('#save-config');
    assert.match(await page.textContent('#error'), /Invalid JSON configuration: parse error at line 1, column \d+/);
    assert.equal(await page.inputValue('#config'), invalidJson);
    await shot('04-config-invalid-json');
  });

  await step('an invalid config names the key and keeps the text', async () => {
    await page.fill('#config', invalidConfig);
    await page.click('#save-config');
    assert.match(await page.textContent('#error'), /features\.max_daily_budget: expected a number/);
    assert.equal(await page.inputValue('#config'), invalidConfig);
    await shot('05-config-invalid');
  });

  await step('a valid config is saved and visible through the REST API', async () => {
    await page.fill('#config', JSON.stringify({
      features: { max_daily_budget: 5000, enable_aee_signals: true },
      branding: { primary_color: '#336699' },
    }, null, 2));
    await page.click('#save-config');
    assert.equal((await page.textContent('#notice')).trim(), 'Configuration updated successfully');
    await shot('06-config-saved');
    const { body } = await systemGet('/system/tenants/browsertest');
    assert.equal(body.config.features.max_daily_budget, 5000);
    assert.equal(body.config.branding.primary_color, '#336699');
  });

  await step('creates a principal with its token shown once', async () => {
    await page.fill('#create-principal input[name=name]', 'Acme Buyer Agent');
    await page.fill('#create-principal input[name=principal_id]', 'acme');
    await page.click('#create-principal button');
    assert.match(await page.textContent('#token'), /^adcp_/);
    assert.match(await page.textContent('#principals'), /acme/);
    await shot('07-principal-created');
  });

  await step('deactivates the tenant', async () => {
    await page.click('#toggle-active');
    assert.equal(await page.textContent('#status'), 'inactive');
    await shot('08-deactivated');
    const { body } = await systemGet('/system/tenants/browsertest');
    assert.equal(body.is_active, false);
  });

  await step('shows the audit log newest first', async () => {
    await page.goto(`${base}/admin/tenants/browsertest/audit`);
    const operations = await page.$$eval('#audit tr td:nth-child(2)', (cells) => cells.map((c) => c.textContent));
    assert.equal(operations[0], 'tenant_deactivated');
    assert.ok(operations.includes('principal_created'));
    assert.ok(operations.includes('tenant_config_updated'));
    await shot('09-audit');
  });

  await step('a form post without the CSRF token is refused', async () => {
    // A form like the page's own, minus the _csrf field (the page's CSP
    // forbids fetch, so a real form submission it is).
    const [response] = await Promise.all([
      page.waitForNavigation({ url: '**/admin/tenants/browsertest/active' }),
      page.evaluate(() => {
        const form = document.createElement('form');
        form.method = 'post';
        form.action = '/admin/tenants/browsertest/active';
        const field = document.createElement('input');
        field.name = 'is_active';
        field.value = 'true';
        form.appendChild(field);
        document.body.appendChild(form);
        form.submit();
      }),
    ]);
    const status = response.status();
    assert.match(await page.textContent('body'), /CSRF check failed/);
    assert.equal(status, 403);
    const { body } = await systemGet('/system/tenants/browsertest');
    assert.equal(body.is_active, false);
  });

  await step('signs out', async () => {
    await page.goto(`${base}/admin/tenants`);
    await page.click('#logout');
    await page.waitForURL(`${base}/admin/login`);
    await page.goto(`${base}/admin/tenants`);
    assert.match(page.url(), /\/admin\/login$/);
    await shot('10-signed-out');
  });
} catch {
  // reported by step()
} finally {
  await browser.close();
}
finish(10);
