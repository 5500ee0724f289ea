// The staff console: the responsible person signs in with her second
// factor, sees the overdue request on Today, handles it and downloads its
// letter; she switches to Russian and finds it again after signing in
// anew; the call-centre operator looks up the resident purpose first and
// sees what his role may see, the IIN and phone masked.
import { readFileSync } from 'node:fs';
import { start, fixture, totp } from './lib.mjs';

const run = await start('console');
const { page } = run;
const aliya = fixture.responsible;
const operator = fixture.operator;

async function signIn(who, code, label) {
  await run.visit('/console/sign-in', `${label}-sign-in`);
  await page.fill('#login', who.login);
  await page.fill('#password', who.password);
  if (code) await page.fill('#code', code);
  await page.click('#sign-in button[type=submit]');
  await page.waitForURL(/\/console\/today/);
  await run.check(`${label}-today`);
}

async function signOut(label) {
  await page.click('#sign-out');
  await page.waitForURL(/\/console\/sign-in/);
  await run.check(`${label}-signed-out`);
}

// A wrong code is refused with a clear message (401).
await run.visit('/console/sign-in', 'sign-in');
await page.fill('#login', aliya.login);
await page.fill('#password', aliya.password);
await page.fill('#code', '000000');
const [refused] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/console/sign-in') && r.request().method() === 'POST'),
  page.click('#sign-in button[type=submit]')]);
run.expect(refused.status() === 401, `a wrong code answered ${refused.status()}, not 401`);
run.expect(await page.locator('#sign-in-error').isVisible(), 'a failed sign-in shows no message');
await run.check('sign-in-refused');

// The responsible person: Today shows the overdue request.
await signIn(aliya, totp(aliya.totp_secret_hex), 'aliya');
const overdue = page.locator('#overdue-requests a.request-link');
run.expect(await overdue.count() === 1, `Today shows ${await overdue.count()} overdue requests, not 1`);
run.expect((await overdue.first().getAttribute('href')) === `/console/requests/${fixture.request}`, 'the overdue link is not the fixture request');
await overdue.first().click();
await page.waitForURL(/\/console\/requests\//);
await run.check('request');
run.expect(await page.locator('#request-due .late').count() > 0, 'the request page does not mark the due date overdue');

// Verify the requester's identity (the requisites on the letter), then
// answer with what is held.
await page.click('#verify');
await page.waitForSelector('#fulfil-form');
await run.check('request-verified');
await page.fill('#done', 'Мәліметтер хатта берілді.');
await page.click('#fulfil');
await page.waitForSelector('#letter');
await run.check('request-answered');
const [download] = await Promise.all([page.waitForEvent('download'), page.click('#letter')]);
const pdf = readFileSync(await download.path());
run.expect(pdf.subarray(0, 5).toString() === '%PDF-', 'the letter is not a PDF');
run.expect(download.suggestedFilename() === `answer-${fixture.request}.pdf`, `the letter is named ${download.suggestedFilename()}`);

await page.click('#nav-today');
await page.waitForURL(/\/console\/today/);
await run.check('today-after');
run.expect(await page.locator('#overdue-requests').count() === 0, 'the answered request is still overdue');
await page.click('#nav-journal');
await page.waitForURL(/\/console\/journal/);
await run.check('journal');
run.expect(await page.locator('#journal-status.ok').isVisible(), 'the journal does not verify');
await page.click('#nav-people');
await page.waitForURL(/\/console\/people/);
await run.check('people');
await page.click('#nav-requests');
await page.waitForURL(/\/console\/requests$/);
await run.check('requests');

// Russian, remembered on her account across a sign-out.
await page.getByRole('link', { name: 'Русский' }).click();
await page.waitForURL(/lang=ru/);
run.expect((await page.getAttribute('html', 'lang')) === 'ru', 'the switch did not switch to Russian');
await run.check('requests-ru');
await signOut('aliya');
// A TOTP code works once: the first one is spent, so she types the next
// step's code, which derbes accepts (it allows one step of clock drift).
await signIn(aliya, totp(aliya.totp_secret_hex, Date.now() + 30000), 'aliya-again');
run.expect((await page.getAttribute('html', 'lang')) === 'ru', 'Russian was not remembered after signing in again');
await signOut('aliya-again');

// The operator: the purpose first, then the IIN.
await signIn(operator, '', 'operator');
run.expect(await page.locator('#overdue-requests').count() === 0, 'the operator sees requests');
await page.click('#nav-lookup');
await page.waitForURL(/\/console\/lookup/);
await run.check('lookup-purpose');
run.expect(await page.locator('#lookup-form').count() === 0, 'the lookup asks for an identifier before the purpose');
await page.check(`#purpose-${fixture.purpose}`);
await page.click('#purpose-next');
await page.waitForURL(/purpose=/);
await run.check('lookup-identifier');
await page.selectOption('#kind', 'iin');
await page.fill('#value', fixture.resident.iin);
await page.click('#lookup-submit');
await page.waitForSelector('#lookup-result');
await run.check('lookup-result');
const result = await page.locator('#lookup-result').innerText();
run.expect(result.includes(fixture.resident.name), 'the result lacks the name the role may see');
run.expect(result.includes('95031*******'), 'the IIN is not shown masked');
run.expect(!result.includes(fixture.resident.iin) && !result.includes(fixture.resident.phone), 'the operator sees the IIN or phone in full');
run.expect(await page.locator('#lookup-result dd.masked').count() >= 2, 'the masked fields are not marked');
await page.click('#nav-transfers');
await page.waitForURL(/\/console\/transfers/);
await run.check('transfers');
await signOut('operator');
await run.finish();
