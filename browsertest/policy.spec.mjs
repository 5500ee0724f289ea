// A visitor reads the operator's published policy and the consent notices
// in each language, then switches language with the switch on the page.
import { start, fixture } from './lib.mjs';

const run = await start('policy');
const { page } = run;
for (const lang of ['kk', 'ru', 'en']) {
  await run.visit(`/policy?lang=${lang}`, `policy-${lang}`);
  run.expect((await page.getAttribute('html', 'lang')) === lang, `/policy?lang=${lang}: <html lang> is not ${lang}`);
  await run.visit(`/policy/versions?lang=${lang}`, `versions-${lang}`);
  await run.visit(`/consent-notice?lang=${lang}`, `notices-${lang}`);
  await run.visit(`/consent-notice?purpose=${fixture.purpose}&lang=${lang}`, `notice-${lang}`);
}
// The switch is a link a visitor clicks; the choice is remembered.
await run.visit('/policy?lang=kk', 'policy-before-switch');
await page.getByRole('link', { name: 'Русский' }).click();
await page.waitForURL(/lang=ru/);
run.expect((await page.getAttribute('html', 'lang')) === 'ru', 'the language switch did not switch to Russian');
await page.goto(new URL('/policy', run.page.url()).href);
run.expect((await page.getAttribute('html', 'lang')) === 'ru', 'the chosen language was not remembered');
// Printing drops the navigation.
await page.emulateMedia({ media: 'print' });
run.expect(!(await page.locator('nav.pages').isVisible()), 'the page navigation is printed');
await run.finish();
